import Database from 'better-sqlite3'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DataFolder } from '../../src/main/config/dataFolder'
import { openServices } from '../../src/main/services/openServices'
import { importNih } from '../../src/main/cases/nihImporter'
import { exportBoxesCoco, exportBoxesNih, exportLabelsNih } from '../../src/main/interchange/exporters'
import { backupTo, checkIntegrity, restoreFrom } from '../../src/main/store/backup'
import { CaseStore } from '../../src/main/store/caseStore'
import { openDatabase } from '../../src/main/store/database'
import { MIGRATIONS } from '../../src/main/store/migrations'
import { BOXES_CSV, csvBoxes, HAS_NIH, imageFolder, LABELS_CSV, NIH_256, tempDir } from './helpers'

const dir = tempDir()
afterAll(dir.cleanup)

describe.runIf(HAS_NIH)('interchange', () => {
  const all = [...csvBoxes().entries()].filter(([n]) => readdirSync(NIH_256).includes(n))
  const infiltrate = all.find(([, boxes]) => boxes.some((b) => b.finding === 'Infiltration'))![0]
  const names = [
    infiltrate,
    ...all
      .map(([n]) => n)
      .filter((n) => n !== infiltrate)
      .slice(0, 7),
  ]
  const folder = imageFolder(dir.path, NIH_256, names)

  it('round-trips boxes through the NIH box list: re-importing the export reproduces the same boxes', async () => {
    const first = new CaseStore(openDatabase(':memory:'))
    await importNih(first, { imagesDir: folder, labelsCsv: LABELS_CSV, boxesCsv: BOXES_CSV })
    const exported = join(dir.path, 'boxes.csv')
    writeFileSync(exported, exportBoxesNih(first))
    expect(exportBoxesNih(first)).toContain(',Infiltrate,') // NIH spelling in NIH layout
    const second = new CaseStore(openDatabase(':memory:'))
    await importNih(second, { imagesDir: folder, labelsCsv: LABELS_CSV, boxesCsv: exported })
    const boxesOf = (store: CaseStore) =>
      names.flatMap((n) => store.annotations.boxes(store.cases.findByImageName(n)[0].id).map((b) => [n, b.finding, b.x, b.y, b.w, b.h]))
    const a = boxesOf(first)
    const b = boxesOf(second)
    expect(b.length).toBe(a.length)
    a.forEach((row, i) =>
      row.forEach((v, j) => (typeof v === 'number' ? expect(b[i][j] as number).toBeCloseTo(v, 9) : expect(b[i][j]).toBe(v))),
    )
    first.close()
    second.close()
  })

  it('writes COCO JSON and the NIH Data_Entry label layout', async () => {
    const store = new CaseStore(openDatabase(':memory:'))
    await importNih(store, { imagesDir: folder, labelsCsv: LABELS_CSV, boxesCsv: BOXES_CSV })
    const coco = JSON.parse(exportBoxesCoco(store))
    expect(coco.images).toHaveLength(8)
    expect(coco.categories).toHaveLength(14)
    expect(coco.annotations.length).toBe(names.flatMap((n) => csvBoxes().get(n)!).length)
    expect(coco.annotations[0].bbox).toHaveLength(4)
    const labels = exportLabelsNih(store).trim().split('\n')
    expect(labels[0]).toBe(
      'Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],',
    )
    expect(labels).toHaveLength(9)
    store.close()
  })
})

describe('durability', () => {
  it('backs up with VACUUM INTO, checks integrity and restores, keeping the replaced file', async () => {
    const dataDir = join(dir.path, 'durable')
    const core = openServices(new DataFolder(dataDir), { kind: 'web' })
    core.store.readers.create('Dr A', 'radiologist')
    const backup = backupTo(core.store.db, join(dir.path, 'b1.sqlite'))
    core.store.readers.create('Dr B', 'radiologist')
    expect(checkIntegrity(core.store.db, true)).toEqual([])
    // Closed before the file is swapped: a connection still open on the replaced file would, on its
    // late close, unlink the WAL by its old name, which by then may be the restored database's.
    await core.close()
    const { previous } = restoreFrom(backup, core.dbPath)
    expect(previous && existsSync(previous)).toBe(true)
    const restored = CaseStore.open(core.dbPath)
    expect(restored.readers.list().map((r) => r.name)).toEqual(['Dr A'])
    restored.close()
    expect(readdirSync(join(dataDir, 'backups')).some((f) => f.startsWith('scheduled-'))).toBe(true)
  })

  it('refuses to restore something that is not a sound database', () => {
    const fake = join(dir.path, 'fake.sqlite')
    writeFileSync(fake, 'not a database at all, just text'.repeat(100))
    expect(() => restoreFrom(fake, join(dir.path, 'target.sqlite'))).toThrow(/not a CXR Lens database backup|not a database/)
    expect(existsSync(join(dir.path, 'target.sqlite'))).toBe(false)
  })

  it('snapshots the database before migrating it', () => {
    const path = join(dir.path, 'old', 'cxr-lens.sqlite')
    mkdirSync(join(dir.path, 'old'))
    const raw = new Database(path) // as the first release wrote it: migration 1 only
    raw.exec(MIGRATIONS[0])
    raw.pragma('user_version = 1')
    raw.close()
    openDatabase(path).close()
    expect(readdirSync(join(dir.path, 'old', 'backups')).some((f) => f.startsWith('pre-migration-v1-'))).toBe(true)
  })
})
