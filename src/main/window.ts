import { app, BrowserWindow, session, shell, type WebContents } from 'electron'
import { join } from 'node:path'
import { CONTENT_SECURITY_POLICY } from './config/csp'
import { isAllowedExternalUrl } from './shell/externalLinks'
import { chooseRendererUrl } from './shell/rendererUrl'
import { log } from './logging/log'

/**
 * Session-wide defaults. The CSP header also covers the dev server's pages (the app protocol sets
 * it itself); every permission request and check is refused: the workstation needs no camera,
 * microphone, notifications, geolocation, MIDI or HID.
 */
export function installContentSecurityPolicy(): void {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } })
  })
  session.defaultSession.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false))
  session.defaultSession.setPermissionCheckHandler(() => false)
}

/**
 * Navigation away from the loaded page, new windows and <webview> are refused for a web contents.
 * Applied to the main window and (from index.ts) to every web contents Electron creates, so a frame
 * or a future window cannot escape either. A window.open of an allowlisted https page goes to the
 * system browser; nothing else leaves the app.
 */
const lockedDown = new WeakSet<WebContents>()

export function lockDownWebContents(contents: WebContents): void {
  // The main window's contents arrive twice (web-contents-created and createMainWindow).
  if (lockedDown.has(contents)) return
  lockedDown.add(contents)
  contents.on('will-navigate', (event, url) => {
    if (url !== contents.getURL()) event.preventDefault()
  })
  contents.on('will-redirect', (event) => event.preventDefault())
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalUrl(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
}

export function createMainWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    show: false,
    backgroundColor: '#101418',
    title: 'CXR Lens',
    webPreferences: {
      preload: join(__dirname, '../preload/index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  })
  window.once('ready-to-show', () => window.show())
  lockDownWebContents(window.webContents)

  // The app protocol (see ipc/appProtocol.ts) serves the built renderer; a dev server only unpackaged.
  const { url, ignored } = chooseRendererUrl(process.env, app.isPackaged)
  if (ignored) log().warn(ignored)
  void window.loadURL(url)
  return window
}
