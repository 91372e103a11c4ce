/** Over IPC a window's page is one session: logged out again when the page reloads or navigates. */
import { EventEmitter } from 'node:events'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { DataFolder } from '../../src/main/config/dataFolder'
import { openServices, type Services } from '../../src/main/services/openServices'
import { CLI_ACTOR, ReaderAccounts } from '../../src/main/readers/readerAccounts'
import type { Reader } from '../../src/shared/domain'
import { tempDir } from './helpers'

const handlers = new Map<string, (event: unknown, request: unknown) => Promise<{ ok: boolean; error?: { code: string } }>>()
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, fn: (event: unknown, request: unknown) => Promise<{ ok: boolean }>) => handlers.set(channel, fn),
    removeHandler: (channel: string) => handlers.delete(channel),
  },
  dialog: { showOpenDialog: async () => ({ canceled: true, filePaths: [] }) },
}))

const { registerIpc } = await import('../../src/main/ipc/register')

describe('IPC sessions', () => {
  const dir = tempDir()
  let core: Services
  let unregister: () => void
  let reader: Reader
  let caseId: number
  // A webContents double with the events the session follows.
  const mainFrame = { url: 'app://main' }
  const webContents = Object.assign(new EventEmitter(), { mainFrame, send: () => undefined })
  const window = { webContents }
  const own = { sender: webContents, senderFrame: mainFrame }
  const call = (channel: string, request: unknown) => handlers.get(channel)!(own, request)

  beforeAll(async () => {
    core = openServices(new DataFolder(dir.path), { kind: 'app' })
    unregister = registerIpc(core, () => window as never)
    reader = await new ReaderAccounts(core.store).create({ name: 'Dr Ipc', role: 'radiologist', secret: 'ipc-secret-1' }, CLI_ACTOR)
    caseId = core.store.cases.insert({
      imageName: 'a.png',
      patientId: null,
      path: '/x/a.png',
      sha256: 'a'.padEnd(64, '0'),
      format: 'png',
      width: 256,
      height: 256,
      bitDepth: 8,
      channels: 1,
      view: 'PA',
      age: 40,
      sex: 'F',
      followUp: 0,
      originalWidth: null,
      originalHeight: null,
      pixelSpacingX: null,
      pixelSpacingY: null,
      importedAt: '2026-01-01T00:00:00.000Z',
    })
  })
  afterAll(async () => {
    unregister()
    await core.close()
    dir.cleanup()
  })

  it('binds a login to the page until it navigates; in-page navigation and subframes keep it', async () => {
    const write = { caseId, readerId: reader.id, status: 'reviewed' }
    expect(await call('cases:setStatus', write)).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(await call('readers:login', { readerId: reader.id, secret: 'ipc-secret-1' })).toMatchObject({ ok: true })
    expect(await call('cases:setStatus', write)).toMatchObject({ ok: true })
    webContents.emit('did-start-navigation', { isMainFrame: true, isSameDocument: true })
    webContents.emit('did-start-navigation', { isMainFrame: false, isSameDocument: false })
    expect(await call('cases:setStatus', { ...write, status: 'in_review' })).toMatchObject({ ok: true })
    // A reload: the new document must log in again.
    webContents.emit('did-start-navigation', { isMainFrame: true, isSameDocument: false })
    expect(await call('cases:setStatus', write)).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(await call('readers:login', { readerId: reader.id, secret: 'ipc-secret-1' })).toMatchObject({ ok: true })
    webContents.emit('render-process-gone')
    expect(await call('cases:setStatus', write)).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(core.store.cases.get(caseId)!.status).toBe('in_review')
  })
})
