/**
 * The Content-Security-Policy for the workstation's documents, sent as a header by both the Electron
 * session and the browser-mode server: no remote code and no eval. Inline styles are allowed because
 * MUI's emotion injects <style> tags. No frames at all: the UI has none, so an injected iframe cannot
 * load even an app page (the IPC sender check refuses sub-frames as well).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self' data:",
  "object-src 'none'",
  "frame-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')
