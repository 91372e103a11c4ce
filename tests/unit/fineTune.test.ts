import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { importNih } from '../../src/main/cases/nihImporter'
import { InferenceEngine } from '../../src/main/inference/inferenceEngine'
import { ModelRegistry } from '../../src/main/inference/modelRegistry'
import { CaseStore } from '../../src/main/store/caseStore'
import { openDatabase } from '../../src/main/store/database'
import { fineTune } from '../../src/main/training/fineTune'
import { stratifiedPatientSplit } from '../../src/main/training/splits'
import { HAS_NIH, imageFolder, LABELS_CSV, NIH_256, tempDir } from './helpers'

const dir = tempDir()
const store = new CaseStore(openDatabase(':memory:'))
const engine = new InferenceEngine({ providers: ['cpu'], threads: 1 })
afterAll(async () => {
  await engine.close()
  store.close()
  dir.cleanup()
})

describe('patient-wise split', () => {
  it('never puts one patient in two parts and keeps the shares', () => {
    const items = Array.from({ length: 300 }, (_, i) => ({ caseId: i, patient: `p${Math.floor(i / 3)}`, labels: Uint8Array.of(i % 5 === 0 ? 1 : 0, i % 7 === 0 ? 1 : 0) }))
    const parts = stratifiedPatientSplit(items, [0.7, 0.15, 0.15], 3)
    expect(parts.map((p) => p.length).reduce((a, b) => a + b)).toBe(300)
    const owner = new Map<string, number>()
    parts.forEach((part, i) => part.forEach((item) => {
      expect(owner.get(item.patient) ?? i).toBe(i)
      owner.set(item.patient, i)
    }))
    expect(parts[0].length).toBeGreaterThan(190)
    expect(parts[1].length).toBeGreaterThan(35)
  })
})

describe.runIf(HAS_NIH)('fine-tuning the final layer', () => {
  it('registers a new version whose ONNX differs from the parent only in the head, runs on the engine, and compares with the parent', async () => {
    await importNih(store, { imagesDir: imageFolder(dir.path, NIH_256, readdirSync(NIH_256).sort().slice(0, 150)), labelsCsv: LABELS_CSV })
    const registry = new ModelRegistry(store, join(dir.path, 'models'), join(dir.path, 'none'))
    registry.import(resolve(__dirname, '../fixtures/engine/tiny-resnet'))
    const epochs: number[] = []
    const result = await fineTune({ store, registry, engine }, { model: 'tiny-resnet', layers: 'head', folds: 2, options: { maxEpochs: 4 } }, { onEpoch: (r) => epochs.push(r.epoch) })
    expect(result.cases).toBe(150)
    expect(result.featuresComputed).toBe(150)
    expect(result.folds).toHaveLength(2)
    expect(result.tTest).not.toBeNull()
    expect(result.valMacroAuroc.parent).not.toBeNull()
    expect(result.perFinding).toHaveLength(14)
    expect(epochs.length).toBeGreaterThanOrEqual(3 * 2)

    const parent = registry.get('tiny-resnet', '0.0.1-test').pkg
    const child = registry.get('tiny-resnet', result.child.version).pkg
    expect(child.manifest.sha256).not.toBe(parent.manifest.sha256)
    expect(child.manifest.provenance.parent).toMatchObject({ version: '0.0.1-test' })
    const a = readFileSync(parent.modelPath)
    const b = readFileSync(child.modelPath)
    expect(b.length).toBe(a.length)
    let changed = 0
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) changed++
    expect(changed).toBeGreaterThan(0)
    expect(changed).toBeLessThanOrEqual((32 * 14 + 14) * 4) // only the head's floats
    // The engine's head check (manifest head reproduces the network's logits) passes on the child.
    const input = new Float32Array(64 * 64)
    await expect(engine.run(child, input, 1)).resolves.toBeDefined()

    const again = await fineTune({ store, registry, engine }, { model: 'tiny-resnet', version: '0.0.1-test', layers: 'head', options: { maxEpochs: 2 } })
    expect(again.featuresComputed).toBe(0) // activations come from the cache
  })
})

describe.runIf(HAS_NIH)('training job', () => {
  it('fine-tunes in the worker with epoch progress, from the same IPC surface the UI uses', async () => {
    const { openCore } = await import('../../src/main/api/core')
    const { createDispatcher } = await import('../../src/main/api/dispatch')
    const { createHandlers } = await import('../../src/main/api/handlers')
    const core = openCore(join(dir.path, 'job-data'), 'web')
    try {
      await importNih(core.store, { imagesDir: imageFolder(join(dir.path, 'job'), NIH_256, readdirSync(NIH_256).sort().slice(200, 260)), labelsCsv: LABELS_CSV })
      core.registry.import(resolve(__dirname, '../fixtures/engine/tiny-resnet'))
      const dispatch = createDispatcher(createHandlers(core), () => undefined)
      const messages: string[] = []
      core.jobs.on('progress', (p) => messages.push(p.message))
      const started = await dispatch('training:start', { model: 'tiny-resnet', epochs: 3 })
      if (!started.ok) throw new Error(started.error.message)
      const finished = await core.jobs.wait((started.data as { jobId: string }).jobId)
      expect(finished.state).toBe('succeeded')
      expect((finished.result as { child: { version: string } }).child.version).toMatch(/^0\.0\.1-test\+ft\./)
      expect(messages.some((m) => /epoch \d+: loss/.test(m))).toBe(true)
      expect(core.registry.list().some((m) => m.pkg.manifest.version.startsWith('0.0.1-test+ft.'))).toBe(true)
    } finally {
      await core.close()
    }
  })
})
