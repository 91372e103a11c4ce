/** Boots the desktop shell: single instance, app protocol, secure window, IPC. Everything else lives in the core. */
import { app, dialog, type BrowserWindow } from 'electron'
import { join } from 'node:path'
import { defaultUserDataDir, PRODUCT_NAME, resolveDataDir } from './config/dataDir'
import { DataFolder } from './config/dataFolder'
import { openServices, type Services } from './services/openServices'
import { registerIpc } from './ipc/register'
import { machinePolicy } from './config/policy'
import { log, startLogging } from './logging/log'
import { startMemoryTrace } from './diagnostics/memoryTrace'
import { registerAppScheme, serveAppProtocol } from './ipc/appProtocol'
import { createMainWindow, installContentSecurityPolicy, lockDownWebContents } from './window'

app.setName(PRODUCT_NAME)
// On Windows, userData (the case data and Chromium's profile) moves from the roaming %APPDATA% to the
// local %LOCALAPPDATA% (defaultUserDataDir: unless an earlier version's database is still only in
// the roaming one). Set before anything, the single-instance lock included, reads it.
if (process.platform === 'win32') app.setPath('userData', defaultUserDataDir())
// Privileged schemes can only be registered before the app is ready.
registerAppScheme()
let mainWindow: BrowserWindow | null = null
let core: Services | null = null

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.on('second-instance', () => {
    if (mainWindow?.isMinimized()) mainWindow.restore()
    mainWindow?.focus()
  })
  // Any web contents, not only the main window's (devtools, a frame's), gets the same refusals.
  app.on('web-contents-created', (_event, contents) => lockDownWebContents(contents))
  app.whenReady().then(() => {
    try {
      // The data folder comes from the machine policy, else --data-dir / CXR_LENS_DATA, else userData.
      const dataDir = resolveDataDir(process.argv, process.env, app.getPath('userData'))
      startLogging({ dataDir, kind: 'app', policy: machinePolicy() })
      log().info('desktop app started', { platform: process.platform, electron: process.versions.electron ?? null })
      core = openServices(new DataFolder(dataDir), { kind: 'app', background: true })
      startMemoryTrace()
    } catch (error) {
      // A refused machine policy lands here too: its message names the file and the field.
      log().error('desktop app could not start', { error: (error as Error).message })
      dialog.showErrorBox('CXR Lens cannot start', (error as Error).message)
      app.exit(1)
      return
    }
    installContentSecurityPolicy()
    serveAppProtocol(join(__dirname, '../renderer'))
    registerIpc(core, () => mainWindow)
    mainWindow = createMainWindow()
    mainWindow.on('closed', () => (mainWindow = null))
  })
  // A packaged app has no console: what would have gone to console.error goes to the log file.
  process.on('uncaughtException', (error) => {
    log().error('uncaught exception', { error: error.stack ?? error.message })
    dialog.showErrorBox('CXR Lens: unexpected error', error.message) // what Electron shows without a handler
  })
  process.on('unhandledRejection', (reason) => log().error('unhandled rejection', { error: (reason as Error)?.stack ?? String(reason) }))
  app.on('window-all-closed', () => app.quit())
  app.on('will-quit', () => void core?.close())
}
