import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { DataFolder } from '../../src/main/config/dataFolder'
import { openServices } from '../../src/main/services/openServices'
import { importNih } from '../../src/main/cases/nihImporter'
import { backupsDir, backupTo } from '../../src/main/store/backup'
import { DatabaseInUseError } from '../../src/main/store/dbHolders'
import { BOXES_CSV, HAS_NIH, imageFolder, LABELS_CSV, NIH_256, tempDir } from './helpers'
import { runCli, Saver, spawnCli, finished } from './processes'

/**
 * Several processes on one data folder, as a site runs them: browser mode (here its core and
 * dispatcher in a child process, saving boxes without pause) beside CLI imports and restores.
 * Writers wait for each other instead of failing, and a restore never leaves acknowledged saves
 * behind in the replaced file.
 */

const dir = tempDir('cxr-conc-')
afterAll(dir.cleanup)
const savers: Saver[] = []
afterEach(() => {
  for (const saver of savers.splice(0)) saver.kill()
})

const ALL =
  HAS_NIH && existsSync(NIH_256)
    ? readdirSync(NIH_256)
        .filter((n) => n.endsWith('.png'))
        .sort()
    : []

/** Images with distinct bytes, counted here independently of the importer (the sample holds a byte-identical pair). */
const distinct = () =>
  new Set(
    ALL.map((name) =>
      createHash('sha256')
        .update(readFileSync(join(NIH_256, name)))
        .digest('hex'),
    ),
  ).size

/** A data folder with the first `n` NIH images imported (in this process, then closed again) and backed up as manual-seeded.sqlite. */
async function seeded(name: string, n: number): Promise<string> {
  const dataDir = join(dir.path, name)
  const core = openServices(new DataFolder(dataDir), { kind: 'web' })
  await importNih(core.store, { imagesDir: imageFolder(join(dir.path, `${name}-seed`), NIH_256, ALL.slice(0, n)), labelsCsv: LABELS_CSV })
  backupTo(core.store.db, join(backupsDir(core.dbPath), 'manual-seeded.sqlite'))
  await core.close()
  return dataDir
}

function startSaver(dataDir: string): Saver {
  const saver = new Saver(dataDir)
  savers.push(saver)
  return saver
}

/** Reader boxes in the live database (ids), read by a plain connection of our own. */
function liveReaderBoxes(dataDir: string): Set<number> {
  const db = new Database(join(dataDir, 'cxr-lens.sqlite'), { readonly: true })
  try {
    return new Set((db.prepare("SELECT id FROM boxes WHERE source = 'reader'").all() as Array<{ id: number }>).map((r) => r.id))
  } finally {
    db.close()
  }
}

function count(dataDir: string, sql: string): number {
  const db = new Database(join(dataDir, 'cxr-lens.sqlite'), { readonly: true })
  try {
    return (db.prepare(sql).get() as { n: number }).n
  } finally {
    db.close()
  }
}

describe.runIf(ALL.length >= 300)('one writer never makes another fail', () => {
  it(`a CLI import of all ${ALL.length} NIH images beside a server saving boxes: 0 refused saves, a complete import`, async () => {
    const dataDir = await seeded('beside', 10)
    const seededCases = count(dataDir, 'SELECT count(*) AS n FROM cases')
    const unique = distinct()
    const saver = startSaver(dataDir)
    await saver.until((lines) => lines.filter((l) => l.saved).length >= 20)

    const imported = await runCli([
      'import',
      '--images',
      NIH_256,
      '--labels',
      LABELS_CSV,
      '--boxes',
      BOXES_CSV,
      '--json',
      '--data-dir',
      dataDir,
    ])
    const savedDuringImport = saver.saved().length
    await saver.until((lines) => lines.filter((l) => l.saved).length >= savedDuringImport + 20) // still saving after it
    await saver.stop()

    expect(imported.stderr).toBe('')
    expect(imported.code).toBe(0)
    const summary = JSON.parse(imported.stdout) as { imported: number; duplicates: number; failed: unknown[]; scanned: number }
    expect(summary).toMatchObject({
      scanned: ALL.length,
      imported: unique - seededCases,
      duplicates: ALL.length - unique + seededCases,
      failed: [],
    })
    expect(count(dataDir, 'SELECT count(*) AS n FROM cases')).toBe(unique)

    expect(saver.lines.find((l) => l.fatal)).toBeUndefined()
    expect(saver.refused()).toEqual([])
    const acknowledged = saver.saved()
    console.log(
      `import beside the saver: ${summary.imported} imported, ${acknowledged.length} boxes acknowledged, ${saver.refused().length} refused`,
    )
    expect(acknowledged.length).toBeGreaterThan(100)
    const live = liveReaderBoxes(dataDir)
    expect(acknowledged.filter((id) => !live.has(id))).toEqual([])
    expect(live.size).toBe(acknowledged.length)
  }, 240_000)

  it('two CLI imports of the same folder at once into a new data folder both complete, each image once', async () => {
    const dataDir = join(dir.path, 'twice')
    const [a, b] = await Promise.all(
      [0, 1].map(() =>
        finished(spawnCli(['import', '--images', NIH_256, '--labels', LABELS_CSV, '--boxes', BOXES_CSV, '--json', '--data-dir', dataDir])),
      ),
    )
    for (const run of [a, b]) {
      expect(run.stderr).toBe('')
      expect(run.code).toBe(0)
    }
    const [sa, sb] = [a, b].map((run) => JSON.parse(run.stdout) as { imported: number; duplicates: number; failed: unknown[] })
    expect(sa.failed).toEqual([])
    expect(sb.failed).toEqual([])
    // Every image is imported by exactly one of the two; the other counts it as already imported.
    const unique = distinct()
    expect(sa.imported + sb.imported).toBe(unique)
    expect(sa.imported + sa.duplicates).toBe(ALL.length)
    expect(sb.imported + sb.duplicates).toBe(ALL.length)
    expect(count(dataDir, 'SELECT count(*) AS n FROM cases')).toBe(unique)
    expect(count(dataDir, 'SELECT count(DISTINCT sha256) AS n FROM cases')).toBe(unique)
    // Box rows are idempotent too: the second import adds none the first one added.
    expect(
      count(
        dataDir,
        "SELECT count(*) AS n FROM (SELECT case_id, finding, x, y, w, h FROM boxes WHERE source = 'dataset' GROUP BY 1, 2, 3, 4, 5, 6 HAVING count(*) > 1)",
      ),
    ).toBe(0)
  }, 240_000)
})

describe.runIf(ALL.length >= 20)('restore never splits the data', () => {
  it('cxr-lens restore while a server saves boxes is refused naming the server; every acknowledged box stays live', async () => {
    const dataDir = await seeded('restore-cli', 20)
    const backup = join(dir.path, 'restore-cli.sqlite')
    expect((await runCli(['backup', '--out', backup, '--data-dir', dataDir])).code).toBe(0)
    const saver = startSaver(dataDir)
    await saver.until((lines) => lines.filter((l) => l.saved).length >= 20)

    const refused = await runCli(['restore', backup, '--data-dir', dataDir])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(new RegExp(`open in another process: pid ${saver.pid} \\(web: browser mode, since [^)]+\\)`))
    expect(refused.stderr).toMatch(/nothing was changed/)
    await saver.until((lines) => lines.filter((l) => l.saved).length >= 60)
    await saver.stop()

    expect(readdirSync(dataDir).filter((f) => f.includes('before-restore'))).toEqual([])
    expect(saver.refused()).toEqual([])
    const live = liveReaderBoxes(dataDir)
    expect(saver.saved().filter((id) => !live.has(id))).toEqual([])
    expect(existsSync(join(dataDir, 'restore.lock'))).toBe(false)

    // With the server gone, the same command restores (and keeps the replaced file).
    const restored = await runCli(['restore', backup, '--data-dir', dataDir])
    expect(restored.stderr).toBe('')
    expect(restored.code).toBe(0)
    expect(restored.stdout).toMatch(/the replaced database is kept as .*before-restore-/)
    expect(liveReaderBoxes(dataDir).size).toBe(0) // the backup predates every reader box
  }, 120_000)

  it("the app's own restore (backups:restore) while it saves: every box acknowledged after it is in the live database, none only in the replaced file", async () => {
    const dataDir = await seeded('restore-app', 20)
    const name = 'manual-seeded.sqlite' // has the cases the saver saves boxes on
    const saver = startSaver(dataDir)
    await saver.until((lines) => lines.filter((l) => l.saved).length >= 20)
    saver.send(`restore ${name}`)
    await saver.until((lines) => lines.some((l) => l.restored || l.restoreRefused))
    const at = saver.lines.findIndex((l) => l.restored || l.restoreRefused)
    expect(saver.lines[at].restoreRefused).toBeUndefined()
    const { previousFile } = saver.lines[at].restored as { previousFile: string }
    await saver.until((lines) => lines.slice(at).filter((l) => l.saved).length >= 40)
    await saver.stop()

    expect(saver.refused()).toEqual([])
    const after = saver.lines.slice(at).flatMap((l) => (l.saved === undefined ? [] : [l.saved]))
    const before = saver.lines.slice(0, at).flatMap((l) => (l.saved === undefined ? [] : [l.saved]))
    const live = liveReaderBoxes(dataDir)
    expect(after.filter((id) => !live.has(id))).toEqual([])
    // What was saved before the restore is in the replaced file (kept), as the restore promised.
    const old = new Database(previousFile, { readonly: true })
    const kept = new Set((old.prepare("SELECT id FROM boxes WHERE source = 'reader'").all() as Array<{ id: number }>).map((r) => r.id))
    old.close()
    expect(before.filter((id) => !kept.has(id))).toEqual([])
  }, 120_000)

  it("the app's restore is refused while another process holds the database, naming it", async () => {
    const dataDir = await seeded('restore-refused', 20)
    const saver = startSaver(dataDir)
    await saver.until((lines) => lines.filter((l) => l.saved).length >= 5)
    const core = openServices(new DataFolder(dataDir), { kind: 'app' })
    try {
      const name = core.backups.list().find((b) => b.kind === 'scheduled')!.name
      let error: unknown
      try {
        core.backups.restore(name)
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(DatabaseInUseError)
      expect((error as Error).message).toMatch(new RegExp(`pid ${saver.pid} \\(web: browser mode`))
      expect(readdirSync(dataDir).filter((f) => f.includes('before-restore'))).toEqual([])
      // Our own store still answers: the refused restore touched nothing.
      expect(core.store.cases.get(1)).toBeTruthy()
    } finally {
      await core.close()
    }
    await saver.stop()
    const live = liveReaderBoxes(dataDir)
    expect(saver.saved().filter((id) => !live.has(id))).toEqual([])
  }, 120_000)

  it('a restore of a backup copied in while nobody holds the folder goes through', async () => {
    const dataDir = await seeded('restore-free', 5)
    const backup = join(dir.path, 'restore-free.sqlite')
    copyFileSync(join(dataDir, 'cxr-lens.sqlite'), backup)
    const restored = await runCli(['restore', backup, '--data-dir', dataDir])
    expect(restored.code).toBe(0)
    expect(count(dataDir, 'SELECT count(*) AS n FROM cases')).toBe(5)
  }, 60_000)
})
