/**
 * The origin the desktop renderer is served from. A privileged custom scheme instead of `file://`:
 * the page gets a real, unique origin (localStorage and CSP 'self' mean this app only, not every file
 * on the disk) and can only ever read the files the protocol handler chooses to serve.
 */
export const APP_SCHEME = 'cxr-lens'
export const APP_HOST = 'app'
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`
