import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DataFolder } from '../../src/main/config/dataFolder'
import { openServices } from '../../src/main/services/openServices'
import { createDispatcher } from '../../src/main/api/dispatch'
import { createHandlers } from '../../src/main/api/handlers'
import { createSession } from '../../src/main/api/session'
import { importNih } from '../../src/main/cases/nihImporter'
import { ModelRegistry } from '../../src/main/registry/modelRegistry'
import { checkIntegrity } from '../../src/main/store/backup'
import { CaseStore } from '../../src/main/store/caseStore'
import { HAS_NIH, imageFolder, LABELS_CSV, NIH_256, tempDir } from './helpers'
import { CLI } from './builtCli'

const ROOT = resolve(__dirname, '../..')
const MODEL = join(ROOT, 'tests/fixtures/engine/tiny-resnet')
const CASES = 40
const FINDINGS = 14
const dir = tempDir()
afterAll(dir.cleanup)

/** `cxr-lens explain` as a real process: node runs the built CLI itself, so SIGKILL hits the writer. */
function explain(dataDir: string) {
  const args = [
    CLI,
    'explain',
    '--model',
    'tiny-resnet',
    '--method',
    'kernelshap',
    '--samples',
    '300',
    '--all',
    '--threads',
    '1',
    '--data-dir',
    dataDir,
  ]
  return spawn(process.execPath, args, { stdio: 'ignore', cwd: ROOT, env: { ...process.env, CXR_LENS_PROVIDER: 'cpu' } })
}

function casesWithHeatmaps(dbPath: string): number {
  try {
    const peek = CaseStore.open(dbPath)
    const row = peek.db.prepare('SELECT count(DISTINCT case_id) AS n FROM heatmaps').get() as { n: number }
    peek.close()
    return row.n
  } catch {
    return 0 // the child holds a write lock for a moment; look again
  }
}

describe.runIf(HAS_NIH)('kill -9 during a heatmap batch', () => {
  it('keeps a sound database, whole cases only, every box saved before, and the batch reruns to completion', async () => {
    const dataDir = join(dir.path, 'data')
    const names = readdirSync(NIH_256)
      .filter((n) => n.endsWith('.png'))
      .sort()
      .slice(0, CASES)
    // Cases, the model, and a reader's boxes, all saved before the batch starts.
    const core = openServices(new DataFolder(dataDir), { kind: 'web' })
    await importNih(core.store, { imagesDir: imageFolder(dir.path, NIH_256, names), labelsCsv: LABELS_CSV })
    new ModelRegistry(core.store, join(dataDir, 'models')).import(MODEL)
    const dispatch = createDispatcher(createHandlers(core), () => undefined)
    const session = createSession() // Dr K enrols on this connection and is logged in by it
    const reader = await dispatch('readers:create', { name: 'Dr K', role: 'radiologist', secret: 'dr-k-secret' }, session)
    if (!reader.ok) throw new Error(reader.error.message)
    const readerId = (reader.data as { id: number }).id
    const caseIds = (core.store.db.prepare('SELECT id FROM cases ORDER BY id').all() as Array<{ id: number }>).map((r) => r.id)
    for (const [i, caseId] of caseIds.slice(0, 10).entries()) {
      const saved = await dispatch(
        'boxes:create',
        { caseId, readerId, box: { finding: 'Nodule', x: 10 + i, y: 20, w: 30, h: 40 + i } },
        session,
      )
      if (!saved.ok) throw new Error(saved.error.message)
    }
    const boxesBefore = core.store.db
      .prepare('SELECT id, case_id, finding, x, y, w, h FROM boxes WHERE deleted_at IS NULL ORDER BY id')
      .all()
    expect(boxesBefore.length).toBeGreaterThanOrEqual(10)
    await core.close()

    const dbPath = join(dataDir, 'cxr-lens.sqlite')
    const child = explain(dataDir)
    let running = true
    const exited = new Promise((r) => child.once('exit', r)).then(() => (running = false))
    // Until five cases are stored, however long a loaded machine takes to get there (the test's own
    // limit bounds it); a child that dies first ends the wait at once.
    let seen = 0
    while (running && seen < 5) {
      await new Promise((r) => setTimeout(r, 50))
      seen = casesWithHeatmaps(dbPath)
    }
    expect(running, 'the explain batch was still running when five cases were stored').toBe(true)
    child.kill('SIGKILL')
    await exited
    expect(seen).toBeGreaterThanOrEqual(5)

    const store = CaseStore.open(dbPath)
    expect(checkIntegrity(store.db, true)).toEqual([])
    const maps = store.db.prepare('SELECT case_id AS caseId, width, height, length(data) AS bytes, params FROM heatmaps').all() as Array<{
      caseId: number
      width: number
      height: number
      bytes: number
      params: string
    }>
    // No half-written row: each map carries all of its float32 values and its parameters.
    for (const m of maps) {
      expect(m.bytes).toBe(m.width * m.height * 4)
      expect(JSON.parse(m.params)).toMatchObject({ samples: 300 })
    }
    // Whole cases only: a case has all of its heatmaps and its predictions, or none of either.
    const perCase = new Map<number, number>()
    for (const m of maps) perCase.set(m.caseId, (perCase.get(m.caseId) ?? 0) + 1)
    expect(perCase.size).toBeGreaterThanOrEqual(5)
    expect(perCase.size).toBeLessThan(CASES) // the kill landed mid-batch
    for (const count of perCase.values()) expect(count).toBe(FINDINGS)
    const predicted = store.db.prepare('SELECT case_id AS caseId, count(*) AS n FROM predictions GROUP BY case_id').all() as Array<{
      caseId: number
      n: number
    }>
    expect(new Set(predicted.map((p) => p.caseId))).toEqual(new Set(perCase.keys()))
    for (const p of predicted) expect(p.n).toBe(FINDINGS)
    expect(store.db.prepare('SELECT id, case_id, finding, x, y, w, h FROM boxes WHERE deleted_at IS NULL ORDER BY id').all()).toEqual(
      boxesBefore,
    )
    store.close()

    // The same command again runs to completion: every case gets its maps.
    const rerun = explain(dataDir)
    const code = await new Promise((r) => rerun.once('exit', r))
    expect(code).toBe(0)
    const after = CaseStore.open(dbPath)
    expect(checkIntegrity(after.db, true)).toEqual([])
    const complete = after.db
      .prepare('SELECT count(*) AS n FROM (SELECT case_id FROM heatmaps GROUP BY case_id HAVING count(DISTINCT finding) = ?)')
      .get(FINDINGS) as { n: number }
    expect(complete.n).toBe(CASES)
    expect(after.db.prepare('SELECT count(*) AS n FROM boxes WHERE deleted_at IS NULL').get()).toEqual({ n: boxesBefore.length })
    after.close()
  }, 180_000)
})
