import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { CHANNELS } from '../../src/shared/channels'
import { DataFolder } from '../../src/main/config/dataFolder'
import { openServices, type Services } from '../../src/main/services/openServices'
import { tempDir } from './helpers'

// A stand-in for Electron's ipcMain: records handlers so the test can call them with a fake sender.
const handlers = new Map<string, (event: unknown, request: unknown) => unknown>()
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, fn: (event: unknown, request: unknown) => unknown) => handlers.set(channel, fn),
    removeHandler: (channel: string) => handlers.delete(channel),
  },
  dialog: { showOpenDialog: async () => ({ canceled: false, filePaths: ['/picked/folder'] }) },
}))

const { registerIpc } = await import('../../src/main/ipc/register')

describe('IPC registration', () => {
  const dir = tempDir()
  let core: Services
  let unregister: () => void
  const sent: Array<[string, unknown]> = []
  const mainFrame = { url: 'app://main' }
  const webContents = { mainFrame, send: (name: string, payload: unknown) => sent.push([name, payload]) }
  const window = { webContents }
  const ownEvent = { sender: webContents, senderFrame: mainFrame }

  beforeAll(() => {
    core = openServices(new DataFolder(dir.path), { kind: 'app' })
    unregister = registerIpc(core, () => window as never)
  })
  afterAll(async () => {
    unregister()
    await core.close()
    dir.cleanup()
  })

  it('registers exactly the contract channels', () => {
    expect([...handlers.keys()].sort()).toEqual([...CHANNELS].sort())
  })

  it('serves the app window', async () => {
    expect(await handlers.get('app:info')!(ownEvent, {})).toMatchObject({ ok: true, data: { transport: 'electron', nativeDialogs: true } })
    expect(await handlers.get('dialog:open')!(ownEvent, { kind: 'directory', title: 'Images' })).toEqual({
      ok: true,
      data: { path: '/picked/folder' },
    })
  })

  it('refuses another sender and a subframe of the app window', async () => {
    const stranger = { sender: { mainFrame: {} }, senderFrame: {} }
    const iframe = { sender: webContents, senderFrame: { url: 'https://ads.example' } }
    for (const event of [stranger, iframe]) {
      expect(await handlers.get('cases:list')!(event, {})).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    }
  })

  it('validates requests from the app window too', async () => {
    expect(await handlers.get('cases:get')!(ownEvent, { caseId: -1 })).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
  })

  it('forwards job events to the window', () => {
    core.jobs.emit('progress', { jobId: 'j', done: 1, total: 2, message: 'half' })
    expect(sent).toContainEqual(['job:progress', { jobId: 'j', done: 1, total: 2, message: 'half' }])
  })
})
