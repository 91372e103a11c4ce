import { existsSync, openSync, readdirSync, writeFileSync, writeSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createBackupService } from '../../src/main/services/backupService'
import { DataFolder } from '../../src/main/config/dataFolder'
import { openServices, type Services } from '../../src/main/services/openServices'
import { createDispatcher } from '../../src/main/api/dispatch'
import { createHandlers } from '../../src/main/api/handlers'
import { createSession } from '../../src/main/api/session'
import { backupsDir, backupTo } from '../../src/main/store/backup'
import { tempDir } from './helpers'

const dirs: Array<{ cleanup: () => void }> = []
const cores: Services[] = []
afterEach(async () => {
  for (const core of cores.splice(0)) await core.close()
  for (const dir of dirs.splice(0)) dir.cleanup()
})

function open(path?: string) {
  const dir = path ? null : tempDir()
  if (dir) dirs.push(dir)
  const core = openServices(new DataFolder(path ?? dir!.path), { kind: 'web' })
  cores.push(core)
  // One connection: the radiologists below enrol themselves on it (and are logged in by it), so the
  // restores, which need a logged-in reader, run as the last one created.
  const session = createSession()
  const rawDispatch = createDispatcher(createHandlers(core), () => undefined)
  const dispatch = (channel: string, request: unknown) => rawDispatch(channel, request, session)
  const call = async (channel: string, request: unknown = {}) => {
    const result = await dispatch(channel, request)
    if (!result.ok) throw new Error(result.error.message)
    return result.data as never
  }
  return { core, dispatch, call, rawDispatch }
}

const readerNames = async (call: (c: string, r?: unknown) => Promise<never>) =>
  ((await call('readers:list')) as Array<{ name: string }>).map((r) => r.name)

/** Overwrites the root page of a table with garbage: the file still opens, quick_check fails. */
function damageTable(dbPath: string, table: string) {
  const db = new Database(dbPath)
  const page = (db.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').get(table) as { rootpage: number }).rootpage
  const size = db.pragma('page_size', { simple: true }) as number
  db.close()
  const fd = openSync(dbPath, 'r+')
  writeSync(fd, Buffer.alloc(size, 0x5a), 0, size, (page - 1) * size)
  closeSync(fd)
}

describe('restoring a backup while the app runs', () => {
  it('lists backups, snapshots the current database, restores in place, and can undo through the snapshot', async () => {
    const { core, call } = open()
    await call('readers:create', { name: 'Dr A', role: 'radiologist', secret: 'secret-a-123' })
    backupTo(core.store.db, join(backupsDir(core.dbPath), 'manual-a.sqlite'))
    await call('readers:create', { name: 'Dr B', role: 'radiologist', secret: 'secret-b-123' })
    const listed = (await call('backups:list')) as Array<{ name: string; kind: string; bytes: number; createdAt: string }>
    expect(listed.map((b) => b.kind).sort()).toEqual(['manual', 'scheduled'])
    expect(listed.every((b) => b.bytes > 0 && !Number.isNaN(Date.parse(b.createdAt)))).toBe(true)

    const result = (await call('backups:restore', { name: 'manual-a.sqlite' })) as { safetyBackup: string; previousFile: string }
    // Same core, same handlers: the reopened store answers at once.
    expect(await readerNames(call)).toEqual(['Dr A'])
    expect(result.safetyBackup).toMatch(/^pre-restore-.*\.sqlite$/)
    expect(existsSync(result.previousFile)).toBe(true)
    const kinds = ((await call('backups:list')) as Array<{ kind: string }>).map((b) => b.kind)
    expect(kinds).toContain('pre-restore')
    await call('readers:create', { name: 'Dr C', role: 'radiologist', secret: 'secret-c-123' })

    await call('backups:restore', { name: result.safetyBackup })
    expect(await readerNames(call)).toEqual(['Dr A', 'Dr B'])
  })

  it('refuses an unknown name, a path, a file that is not a database and a restore during a job, leaving the data as it was', async () => {
    const { core, dispatch, call, rawDispatch } = open()
    // Restoring replaces what everyone reads: a connection with no reader logged in may not.
    expect(await rawDispatch('backups:restore', { name: 'nope.sqlite' }, createSession())).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    })
    await call('readers:create', { name: 'Dr A', role: 'radiologist', secret: 'secret-a-123' })
    writeFileSync(join(backupsDir(core.dbPath), 'broken.sqlite'), 'not a database at all'.repeat(100))
    const message = async (request: unknown) => {
      const result = await dispatch('backups:restore', request)
      return result.ok ? 'ok' : result.error.message
    }
    expect(await message({ name: 'nope.sqlite' })).toMatch(/No backup named "nope.sqlite"/)
    expect(await message({ name: '../cxr-lens.sqlite' })).toMatch(/Invalid request.*backup file name/)
    expect(await message({ name: 'broken.sqlite' })).toMatch(/broken\.sqlite is not a CXR Lens database backup/)
    expect(await readerNames(call)).toEqual(['Dr A'])
    const busy = createBackupService({
      store: core.store,
      dbPath: core.dbPath,
      runningJobs: () => ['import'],
      health: () => core.health,
      setHealth: () => undefined,
    })
    const name = readdirSync(backupsDir(core.dbPath)).find((f) => f.startsWith('scheduled-'))!
    expect(() => busy.restore(name)).toThrow('Wait for the running import job to finish, or cancel it, before restoring a backup')
    expect(await readerNames(call)).toEqual(['Dr A'])
  })
})

describe('a database damaged at startup', () => {
  it('opens in recovery: says so, offers the latest backup, refuses other calls, and restoring it makes the app whole', async () => {
    const dir = tempDir()
    dirs.push(dir)
    const first = open(dir.path)
    await first.call('readers:create', { name: 'Dr A', role: 'radiologist', secret: 'secret-a-123' })
    backupTo(first.core.store.db, join(backupsDir(first.core.dbPath), 'manual-good.sqlite'))
    await first.core.close()
    cores.splice(0)
    damageTable(first.core.dbPath, 'readers')

    const { core, dispatch, call } = open(dir.path)
    const info = (await call('app:info')) as { database: { state: string; problems: string[]; latestBackup: { name: string } | null } }
    expect(info.database.state).toBe('damaged')
    expect(info.database.problems.length).toBeGreaterThan(0)
    expect(info.database.latestBackup?.name).toBe('manual-good.sqlite')
    const refused = await dispatch('readers:list', {})
    expect(refused).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/^The case database is damaged \(.+\); restore a backup first$/) },
    })
    // No scheduled snapshot of the damaged file was taken.
    expect(readdirSync(backupsDir(core.dbPath)).filter((f) => f.startsWith('scheduled-'))).toHaveLength(1)

    const result = (await call('backups:restore', { name: 'manual-good.sqlite' })) as { safetyBackup: string | null; previousFile: string }
    expect(result.safetyBackup).toBeNull() // too damaged to snapshot; the file itself is kept
    expect(existsSync(result.previousFile)).toBe(true)
    expect(((await call('app:info')) as { database: { state: string } }).database.state).toBe('ok')
    expect(await readerNames(call)).toEqual(['Dr A'])
  })
})
