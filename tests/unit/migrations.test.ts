import Database from 'better-sqlite3'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BUSY_TIMEOUT_MS, DatabaseTooNewError, openDatabase, schemaVersion } from '../../src/main/store/database'
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/main/store/migrations'
import { CaseStore } from '../../src/main/store/caseStore'
import { tempDir } from './helpers'

const cleanups: Array<() => void> = []
afterEach(() => cleanups.splice(0).forEach((fn) => fn()))

function insertCase(store: CaseStore, name: string): number {
  return store.cases.insert({
    imageName: name,
    patientId: null,
    path: `/x/${name}`,
    sha256: name.padEnd(64, '0'),
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
}

describe('migrations', () => {
  it('applies every migration to :memory: and records the version', () => {
    const db = openDatabase(':memory:')
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION)
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length)
    const tables = db.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table'").all() as Array<{ name: string; sql: string }>
    const names = tables.map((t) => t.name)
    for (const table of ['patients', 'cases', 'thumbnails', 'labels', 'boxes', 'models', 'predictions', 'heatmaps', 'audit_log']) {
      expect(names).toContain(table)
    }
    for (const table of tables) expect(table.sql, table.name).toMatch(/STRICT\s*$/)
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    db.close()
  })

  it('uses WAL and a busy timeout on file databases', () => {
    const dir = tempDir()
    cleanups.push(dir.cleanup)
    const db = openDatabase(join(dir.path, 'a.sqlite'))
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('busy_timeout', { simple: true })).toBe(BUSY_TIMEOUT_MS)
    expect(BUSY_TIMEOUT_MS).toBeGreaterThanOrEqual(30_000) // writers of other processes wait instead of failing
    db.close()
  })

  it('is idempotent when reopened', () => {
    const dir = tempDir()
    cleanups.push(dir.cleanup)
    const path = join(dir.path, 'b.sqlite')
    const store = CaseStore.open(path)
    insertCase(store, 'a.png')
    store.close()
    const again = CaseStore.open(path)
    expect(again.worklist.query({}).total).toBe(1)
    again.close()
  })

  it('refuses a database written by a newer app and leaves it untouched', () => {
    const dir = tempDir()
    cleanups.push(dir.cleanup)
    const path = join(dir.path, 'future.sqlite')
    const raw = new Database(path)
    raw.exec('CREATE TABLE keep (x INTEGER)')
    raw.pragma(`user_version = ${SCHEMA_VERSION + 5}`)
    raw.close()
    expect(() => openDatabase(path)).toThrow(DatabaseTooNewError)
    expect(() => openDatabase(path)).toThrow(/newer CXR Lens/)
    const check = new Database(path)
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 5)
    expect(check.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'cases'").get()).toEqual({ n: 0 })
    check.close()
  })
})

describe('schema rules', () => {
  it('keeps the audit log append-only', () => {
    const store = new CaseStore(openDatabase(':memory:'))
    store.audit.append('tester', 'cases.import', null, { n: 1 })
    expect(() => store.db.prepare("UPDATE audit_log SET actor = 'x'").run()).toThrow(/append-only/)
    expect(() => store.db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/)
    expect(store.audit.entries(null)).toHaveLength(1)
    store.close()
  })

  it('keeps box counts and finding masks in step with boxes and labels', () => {
    const store = new CaseStore(openDatabase(':memory:'))
    const id = insertCase(store, 'c.png')
    const at = '2026-01-01T00:00:00.000Z'
    store.annotations.addLabel(id, 'Mass', 'dataset', 'NIH', at)
    store.annotations.addLabel(id, 'Nodule', 'reader', 'dr a', at)
    store.annotations.addBox({ caseId: id, finding: 'Mass', x: 1, y: 2, w: 3, h: 4, source: 'dataset', author: 'NIH', at })
    store.annotations.addBox({ caseId: id, finding: 'Mass', x: 1, y: 2, w: 3, h: 4, source: 'dataset', author: 'NIH', at }) // same box again
    expect(store.worklist.query({ hasBoxes: true }).total).toBe(1)
    expect(store.worklist.query({ finding: 'Nodule' }).total).toBe(1)
    expect(store.worklist.query({ finding: 'Effusion' }).total).toBe(0)
    expect(store.worklist.query({}).rows[0]).toMatchObject({ boxes: 1, findings: ['Mass', 'Nodule'] })
    store.db.prepare("UPDATE boxes SET deleted_at = '2026-01-02'").run()
    expect(store.worklist.query({ hasBoxes: true }).total).toBe(0)
    store.db.prepare("DELETE FROM labels WHERE finding = 'Nodule'").run()
    expect(store.worklist.query({ finding: 'Nodule' }).total).toBe(0)
    expect(store.worklist.query({ finding: 'Mass' }).total).toBe(1)
    store.close()
  })

  it('rejects wrong types and impossible boxes (STRICT + CHECK)', () => {
    const store = new CaseStore(openDatabase(':memory:'))
    const id = insertCase(store, 'd.png')
    expect(() => store.db.prepare("UPDATE cases SET width = 'wide' WHERE id = ?").run(id)).toThrow()
    expect(() =>
      store.annotations.addBox({ caseId: id, finding: 'Mass', x: 0, y: 0, w: -1, h: 4, source: 'reader', author: 'a', at: 'now' }),
    ).toThrow(/CHECK/)
    expect(() => store.db.prepare("UPDATE cases SET status = 'done' WHERE id = ?").run(id)).toThrow(/CHECK/)
    store.close()
  })
})
