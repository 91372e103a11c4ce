/** One bootstrap for every kind of process: quick_check, holders, one daily snapshot however many open at once. */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DataFolder } from '../../src/main/config/dataFolder'
import { openServices } from '../../src/main/services/openServices'
import { liveHolders } from '../../src/main/store/dbHolders'
import { tempDir } from './helpers'
import { CLI } from './builtCli'

const ROOT = resolve(__dirname, '../..')
const dir = tempDir()
afterAll(() => dir.cleanup())

const scheduled = (folder: DataFolder) => readdirSync(folder.backups).filter((f) => f.startsWith('scheduled-'))

describe('openServices', () => {
  it('takes one scheduled snapshot a day across kinds, and none while another process holds the rotation lock', async () => {
    const folder = new DataFolder(join(dir.path, 'a'))
    const app = openServices(folder, { kind: 'app' })
    const cli = openServices(folder, { kind: 'cli', what: 'cxr-lens test' })
    const worker = openServices(folder, { kind: 'worker' })
    expect(scheduled(folder)).toHaveLength(1)
    expect([app, cli, worker].map((s) => s.health.state)).toEqual(['ok', 'ok', 'ok'])
    await Promise.all([worker.close(), cli.close(), app.close()])
    // The worker is a thread of a listed process: it adds no holder file of its own (one would be
    // released under its parent, which shares the pid).
    const alone = openServices(folder, { kind: 'worker' })
    expect(liveHolders(folder.root, null)).toEqual([])
    await alone.close()

    const other = new DataFolder(join(dir.path, 'b'))
    await openServices(other, { kind: 'cli' }).close()
    expect(scheduled(other)).toHaveLength(1)
    // A lock held by someone else (fresh mtime) means they are snapshotting: skip, do not duplicate.
    writeFileSync(other.backupRotationLock, '1')
    const s = openServices(other, { kind: 'web' })
    const later = new Date(Date.now() + 2 * 24 * 3600 * 1000)
    expect(s.store.scheduledBackup(later)).toBeNull()
    expect(scheduled(other)).toHaveLength(1)
    await s.close()
  })

  it('cxr-lens restore snapshots the replaced database (pre-restore-…) before swapping it', async () => {
    const folder = new DataFolder(join(dir.path, 'c'))
    await openServices(folder, { kind: 'cli' }).close()
    const backup = join(folder.backups, scheduled(folder)[0])
    const run = spawnSync(process.execPath, [CLI, 'restore', backup, '--data-dir', folder.root], {
      cwd: ROOT,
      encoding: 'utf8',
    })
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    const safety = readdirSync(folder.backups).filter((f) => f.startsWith('pre-restore-'))
    expect(safety).toHaveLength(1)
    expect(run.stdout).toContain(safety[0])
    expect(existsSync(folder.database)).toBe(true)
  })
})
