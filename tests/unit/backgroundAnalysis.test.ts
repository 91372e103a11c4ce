import { readdirSync, unlinkSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataFolder } from '../../src/main/config/dataFolder'
import { openServices, type Services as Core } from '../../src/main/services/openServices'
import { createDispatcher } from '../../src/main/api/dispatch'
import { createHandlers } from '../../src/main/api/handlers'
import { drainQueue } from '../../src/main/analysis/backgroundRunner'
import { importNih } from '../../src/main/cases/nihImporter'
import { sampleImportRequest } from '../../src/main/config/sampleDir'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import { ModelRegistry } from '../../src/main/registry/modelRegistry'
import { CaseStore } from '../../src/main/store/caseStore'
import type { BackgroundResults } from '../../src/shared/background'
import { BOXES_CSV, HAS_NIH, imageFolder, LABELS_CSV, NIH_256, tempDir } from './helpers'

const FIXTURES = resolve(__dirname, '../fixtures/engine')
const TARGET = { modelId: 'tiny-resnet', modelVersion: '0.0.1-test', method: 'gradcam' }

async function importSome(store: CaseStore, root: string, count: number): Promise<string[]> {
  const names = readdirSync(NIH_256)
    .filter((n) => n.endsWith('.png'))
    .sort()
    .slice(0, count)
  const imagesDir = imageFolder(root, NIH_256, names)
  await importNih(store, { imagesDir, labelsCsv: LABELS_CSV, boxesCsv: BOXES_CSV })
  return names
}

const ids = (store: CaseStore) => store.worklist.matchingIds({})

describe.skipIf(!HAS_NIH)('background analysis queue (in-process runner, test model)', () => {
  const dir = tempDir()
  const store = CaseStore.open(join(dir.path, 'cxr-lens.sqlite'))
  const engine = new InferenceEngine({ providers: ['cpu'], threads: 1 })
  const registry = new ModelRegistry(store, join(dir.path, 'models'), join(dir.path, 'no-bundled-models'))
  let names: string[] = []

  beforeAll(async () => {
    registry.import(join(FIXTURES, 'tiny-resnet'))
    names = await importSome(store, dir.path, 6)
  })
  afterAll(async () => {
    await engine.close()
    store.close()
    dir.cleanup()
  })

  it('sweeps in every case lacking the target map, once; claims the focused case first and alone', () => {
    expect(store.queue.hasMissing(TARGET)).toBe(true)
    expect(store.transaction(() => store.queue.sweep(TARGET))).toBe(6)
    expect(store.transaction(() => store.queue.sweep(TARGET))).toBe(0)
    expect(store.queue.hasMissing(TARGET)).toBe(false)
    expect(store.queue.counts()).toEqual({ pending: 6, running: 0, done: 0, failed: 0 })
    const focus = ids(store)[4]
    const first = store.transaction(() => store.queue.claim(8, focus))
    expect(first.map((e) => e.caseId)).toEqual([focus])
    const rest = store.transaction(() => store.queue.claim(3, null))
    expect(rest.map((e) => e.caseId)).toEqual(
      ids(store)
        .filter((id) => id !== focus)
        .slice(0, 3),
    )
    expect(store.queue.counts()).toMatchObject({ pending: 2, running: 4 })
    // A restart: what the stopped process had running is pending again.
    expect(store.transaction(() => store.queue.resetRunning())).toBe(4)
    expect(store.queue.counts()).toMatchObject({ pending: 6, running: 0 })
  })

  it('analyses the queue: probabilities and every finding’s map per case; an unreadable image is failed with its reason, the rest go on', async () => {
    // One case's file disappears after import (a moved share): it must not block the others.
    const gone = names[2]
    unlinkSync(join(dir.path, 'images', gone))
    const published: BackgroundResults[] = []
    let progress = 0
    const finished = await drainQueue(
      { store, registry, engine },
      { focus: () => null, halted: () => false },
      {
        onResults: (r) => published.push(r),
        onProgress: () => progress++,
      },
      4,
    )
    expect(finished).toBe(6)
    expect(progress).toBeGreaterThanOrEqual(2) // the first batch is one case, then batches of 4
    expect(store.queue.counts()).toEqual({ pending: 0, running: 0, done: 5, failed: 1 })
    const [failure] = store.queue.failures()
    expect(failure.image).toBe(gone)
    expect(failure.reason).toMatch(new RegExp(`${gone.replace('.', '\\.')}|ENOENT|no such file`))
    const findings = registry.get('tiny-resnet').pkg.manifest.findings
    for (const caseId of ids(store)) {
      const record = store.cases.get(caseId)!
      const maps = findings.map((f) => store.results.heatmap(caseId, TARGET.modelId, TARGET.modelVersion, f, 'gradcam'))
      if (record.imageName === gone) {
        expect(maps.every((m) => m === undefined)).toBe(true)
        continue
      }
      expect(store.results.predictions(caseId, TARGET.modelId, TARGET.modelVersion)).toHaveLength(findings.length)
      expect(maps.every((m) => m !== undefined && m.data.length === m.width * m.height)).toBe(true)
    }
    // Results were published for exactly the five stored cases, each with its top three.
    const publishedIds = published.flatMap((r) => r.cases.map((c) => c.caseId)).sort((a, b) => a - b)
    expect(publishedIds).toEqual(ids(store).filter((id) => store.cases.get(id)!.imageName !== gone))
    for (const r of published) for (const c of r.cases) expect(c.topFindings).toHaveLength(3)
  })

  it('an explicit request queues again what was done or failed, ahead of the sweep; cancel drops pending rows only', () => {
    const all = ids(store)
    expect(store.transaction(() => store.queue.enqueue([...all, 999_999], TARGET))).toBe(6)
    expect(store.queue.counts()).toEqual({ pending: 6, running: 0, done: 0, failed: 0 })
    expect(store.queue.failures()).toEqual([])
    expect(store.transaction(() => store.queue.clearPending())).toBe(6)
    expect(store.queue.counts()).toEqual({ pending: 0, running: 0, done: 0, failed: 0 })
    // The stored maps stay, so the sweep does not queue those cases again.
    expect(store.transaction(() => store.queue.sweep(TARGET))).toBe(1)
  })

  it('filtered and all scopes resolve to the matching case ids', () => {
    const withBoxes = store.worklist.matchingIds({ hasBoxes: true })
    expect(withBoxes.length).toBeLessThan(ids(store).length)
    expect(withBoxes.every((id) => store.cases.get(id) !== undefined)).toBe(true)
    expect(store.worklist.query({ hasBoxes: true, limit: 500 }).total).toBe(withBoxes.length)
  })
})

describe.skipIf(!HAS_NIH)('background analysis in the core (worker thread, bundled default model)', () => {
  const dir = tempDir()
  let core: Core

  beforeAll(() => {
    core = openServices(new DataFolder(dir.path), { kind: 'web', background: true })
  })
  afterAll(async () => {
    await core.close()
    dir.cleanup()
  })

  const until = async (what: string, predicate: () => boolean, ms = 120_000) => {
    const end = Date.now() + ms
    while (!predicate()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(core.background.status())}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  it('imports the bundled sample through sample:import and analyses every case without being asked, publishing results', async () => {
    const dispatch = createDispatcher(createHandlers(core), () => undefined)
    const target = core.background.target()
    expect(target).not.toBeNull()
    const results: BackgroundResults[] = []
    core.background.on('results', (r) => results.push(r))
    const started = await dispatch('sample:import', {})
    expect(started.ok).toBe(true)
    const { jobId } = (started as { data: { jobId: string } }).data
    const job = await core.jobs.wait(jobId)
    expect(job.state).toBe('succeeded')
    const sampleCount = readdirSync(join(sampleImportRequest().imagesDir)).length
    expect(core.store.worklist.matchingIds({})).toHaveLength(sampleCount)
    expect(core.store.worklist.matchingIds({ hasBoxes: true })).toHaveLength(sampleCount)
    await until('the queue to drain', () => {
      const s = core.background.status()
      return s.pending + s.running === 0 && s.done === sampleCount
    })
    const status = core.background.status()
    expect(status).toMatchObject({ failed: 0, run: { done: sampleCount, failed: 0, total: sampleCount }, target: { method: 'gradcam' } })
    for (const caseId of core.store.worklist.matchingIds({})) {
      expect(core.store.results.predictions(caseId, target!.modelId, target!.modelVersion).length).toBeGreaterThan(0)
      const box = core.store.annotations.boxes(caseId)[0]
      expect(core.store.results.heatmap(caseId, target!.modelId, target!.modelVersion, box.finding, 'gradcam')).toBeDefined()
    }
    // The queue's counts come from the store, where the worker commits a batch before it reports it;
    // the report reaches the windows within the coalescing interval (at most 4 a second), or at once
    // when the worker says it is idle.
    const published = () => new Set(results.flatMap((r) => r.cases.map((c) => c.caseId))).size
    await until('every case to be published', () => published() === sampleCount)
    expect(published()).toBe(sampleCount)
    // The worklist shows the default model's top three for every case now.
    const page = core.store.worklist.query({ limit: 100 }, { model: { id: target!.modelId, version: target!.modelVersion } })
    expect(page.rows.every((row) => row.topFindings.length === 3)).toBe(true)
  }, 180_000)

  it('validates requests at the boundary and refuses an unknown model or a method the model cannot run, by name', async () => {
    const dispatch = createDispatcher(createHandlers(core), () => undefined)
    expect(await dispatch('background:enqueue', { scope: { kind: 'cases', caseIds: [] } })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    })
    expect(await dispatch('background:enqueue', { scope: { kind: 'everything' } })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    })
    expect(await dispatch('background:focus', { caseId: -1 })).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
    const unknown = await dispatch('background:enqueue', { scope: { kind: 'all' }, model: 'no-such-model' })
    expect(unknown).toMatchObject({ ok: false })
    expect((unknown as { error: { message: string } }).error.message).toMatch(/no-such-model/)
    // Re-queue the filtered set with Grad-CAM++: the worker picks it up and finishes.
    const queued = await dispatch('background:enqueue', {
      scope: { kind: 'filter', filter: { finding: 'Cardiomegaly' } },
      method: 'gradcampp',
    })
    expect(queued).toMatchObject({ ok: true })
    const n = (queued as { data: { queued: number } }).data.queued
    expect(n).toBe(core.store.worklist.matchingIds({ finding: 'Cardiomegaly' }).length)
    await until('the gradcampp requests to finish', () => core.background.status().pending + core.background.status().running === 0)
    expect(core.background.status().failed).toBe(0)
  }, 180_000)

  it('pause keeps queued rows until resumed; cancel drops them', async () => {
    expect(core.background.setPaused(true).paused).toBe(true)
    const { queued } = core.background.enqueue({ scope: { kind: 'all' }, method: 'gradcampp' })
    expect(queued).toBeGreaterThan(0)
    await new Promise((r) => setTimeout(r, 500))
    expect(core.background.status().pending).toBe(queued)
    expect(core.background.cancel().cancelled).toBe(queued)
    expect(core.background.setPaused(false).paused).toBe(false)
    expect(core.background.status().pending).toBe(0)
  })
})
