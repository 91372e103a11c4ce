import { dialog, ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron'
import { CHANNELS, type EventName } from '../../shared/channels'
import type { EventMap } from '../../shared/contract'
import type { Services } from '../services/openServices'
import { createDispatcher } from '../api/dispatch'
import { createHandlers } from '../api/handlers'
import { createSession, type Session } from '../api/session'
import { electronRenderPdf } from './reportPdf'

type Sender = IpcMainInvokeEvent['sender']

/**
 * One reader session per window page: a reload or navigation of the main frame starts a new document,
 * which must log in again, as a browser-mode page does over its new socket.
 */
function sessionsPerPage() {
  const sessions = new WeakMap<Sender, Session>()
  const watched = new WeakSet<Sender>()
  const watch = (sender: Sender) => {
    // The test double of webContents has no events; a real one always has.
    if (watched.has(sender) || typeof sender.on !== 'function') return
    watched.add(sender)
    const reset = () => sessions.delete(sender)
    sender.on('did-start-navigation', (details) => {
      if (details.isMainFrame && !details.isSameDocument) reset()
    })
    sender.on('render-process-gone', reset)
    sender.once('destroyed', reset)
  }
  return (sender: Sender): Session => {
    let session = sessions.get(sender)
    if (!session) {
      session = createSession()
      sessions.set(sender, session)
      watch(sender)
    }
    return session
  }
}

/**
 * Registers one ipcMain handler per contract channel. A message from any frame other than the app's
 * own window's main frame is refused: an injected iframe or another window cannot reach the core.
 */
export function registerIpc(core: Services, getWindow: () => BrowserWindow | null): () => void {
  const pickPath = async (kind: 'directory' | 'file', title: string) => {
    const window = getWindow()
    const options = { title, properties: [kind === 'directory' ? ('openDirectory' as const) : ('openFile' as const)] }
    const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options)
    return result.canceled ? null : (result.filePaths[0] ?? null)
  }
  // report PDFs print with Electron's own renderer (reportPdf.ts), not a system Chromium
  const dispatch = createDispatcher(createHandlers(core, pickPath, electronRenderPdf))
  const sessionOf = sessionsPerPage()
  const fromOwnWindow = (event: IpcMainInvokeEvent) => {
    const window = getWindow()
    return window !== null && event.sender === window.webContents && event.senderFrame === window.webContents.mainFrame
  }
  for (const channel of CHANNELS) {
    ipcMain.handle(channel, (event, request: unknown) =>
      fromOwnWindow(event)
        ? dispatch(channel, request, sessionOf(event.sender))
        : { ok: false, error: { code: 'forbidden', message: 'IPC from an unknown sender was refused' } },
    )
  }
  const send = <E extends EventName>(name: E, payload: EventMap[E]) => getWindow()?.webContents.send(name, payload)
  const onProgress = (payload: EventMap['job:progress']) => send('job:progress', payload)
  const onFinished = (payload: EventMap['job:finished']) => send('job:finished', payload)
  const onBackgroundStatus = (payload: EventMap['background:status']) => send('background:status', payload)
  const onBackgroundResults = (payload: EventMap['background:results']) => send('background:results', payload)
  core.jobs.on('progress', onProgress)
  core.jobs.on('finished', onFinished)
  core.background.on('status', onBackgroundStatus)
  core.background.on('results', onBackgroundResults)
  return () => {
    core.background.off('status', onBackgroundStatus)
    core.background.off('results', onBackgroundResults)
    for (const channel of CHANNELS) ipcMain.removeHandler(channel)
    core.jobs.off('progress', onProgress)
    core.jobs.off('finished', onFinished)
  }
}
