/**
 * The origin the desktop renderer is served from. A privileged custom scheme instead of `file://`:
 * the page gets a real, unique origin (localStorage and CSP 'self' mean this app only, not every file
 * on the disk) and can only ever read the files the protocol handler chooses to serve.
 */
export const APP_SCHEME = 'cxr-lens'
export const APP_HOST = 'app'
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`

/** Whether `url` is a page of the app's own origin (false for anything unparsable). */
export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url)
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST
  } catch {
    return false
  }
}
