/** Boots the desktop shell: single instance, app protocol, secure window, IPC. Everything else lives in the core. */
import { app, dialog, type BrowserWindow } from 'electron'
import { join } from 'node:path'
import { PRODUCT_NAME, resolveDataDir } from './config/dataDir'
import { DataFolder } from './config/dataFolder'
import { openServices, type Services } from './services/openServices'
import { registerIpc } from './ipc/register'
import { registerAppScheme, serveAppProtocol } from './shell/appProtocol'
import { createMainWindow, installContentSecurityPolicy, lockDownWebContents } from './window'

app.setName(PRODUCT_NAME)
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
      core = openServices(new DataFolder(resolveDataDir(process.argv, process.env, app.getPath('userData'))), { kind: 'app', background: true })
    } catch (error) {
      dialog.showErrorBox('CXR Lens cannot open its case database', (error as Error).message)
      app.exit(1)
      return
    }
    installContentSecurityPolicy()
    serveAppProtocol(join(__dirname, '../renderer'))
    registerIpc(core, () => mainWindow)
    mainWindow = createMainWindow()
    mainWindow.on('closed', () => (mainWindow = null))
  })
  app.on('window-all-closed', () => app.quit())
  app.on('will-quit', () => void core?.close())
}
