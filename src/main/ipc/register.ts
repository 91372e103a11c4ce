import { dialog, ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron'
import { CHANNELS, type EventName } from '../../shared/channels'
import type { EventMap } from '../../shared/contract'
import type { Core } from '../api/core'
import { createDispatcher } from '../api/dispatch'
import { createHandlers } from '../api/handlers'

/**
 * Registers one ipcMain handler per contract channel. A message from any frame other than the app's
 * own window's main frame is refused: an injected iframe or another window cannot reach the core.
 */
export function registerIpc(core: Core, getWindow: () => BrowserWindow | null): () => void {
  const pickPath = async (kind: 'directory' | 'file', title: string) => {
    const window = getWindow()
    const options = { title, properties: [kind === 'directory' ? ('openDirectory' as const) : ('openFile' as const)] }
    const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options)
    return result.canceled ? null : (result.filePaths[0] ?? null)
  }
  const dispatch = createDispatcher(createHandlers(core, pickPath))
  const fromOwnWindow = (event: IpcMainInvokeEvent) => {
    const window = getWindow()
    return window !== null && event.sender === window.webContents && event.senderFrame === window.webContents.mainFrame
  }
  for (const channel of CHANNELS) {
    ipcMain.handle(channel, (event, request: unknown) =>
      fromOwnWindow(event)
        ? dispatch(channel, request)
        : { ok: false, error: { code: 'forbidden', message: 'IPC from an unknown sender was refused' } },
    )
  }
  const send = <E extends EventName>(name: E, payload: EventMap[E]) => getWindow()?.webContents.send(name, payload)
  const onProgress = (payload: EventMap['job:progress']) => send('job:progress', payload)
  const onFinished = (payload: EventMap['job:finished']) => send('job:finished', payload)
  core.jobs.on('progress', onProgress)
  core.jobs.on('finished', onFinished)
  return () => {
    for (const channel of CHANNELS) ipcMain.removeHandler(channel)
    core.jobs.off('progress', onProgress)
    core.jobs.off('finished', onFinished)
  }
}
