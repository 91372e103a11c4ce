import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { importNih } from '../../src/main/cases/nihImporter'
import { analyzeCases } from '../../src/main/analysis/analysisService'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import { ModelRegistry } from '../../src/main/registry/modelRegistry'
import { readOnnxGraph } from '../../src/main/model/onnxProto'
import { CaseStore } from '../../src/main/store/caseStore'
import { openDatabase } from '../../src/main/store/database'
import { fineTune, newVersionName } from '../../src/main/training/fineTune'
import { stratifiedPatientSplit } from '../../src/main/training/splits'
import { HAS_NIH, imageFolder, LABELS_CSV, NIH_256, REFERENCE_VERSION, tempDir } from './helpers'

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
    const items = Array.from({ length: 300 }, (_, i) => ({
      caseId: i,
      patient: `p${Math.floor(i / 3)}`,
      labels: Uint8Array.of(i % 5 === 0 ? 1 : 0, i % 7 === 0 ? 1 : 0),
    }))
    const parts = stratifiedPatientSplit(items, [0.7, 0.15, 0.15], 3)
    expect(parts.map((p) => p.length).reduce((a, b) => a + b)).toBe(300)
    const owner = new Map<string, number>()
    parts.forEach((part, i) =>
      part.forEach((item) => {
        expect(owner.get(item.patient) ?? i).toBe(i)
        owner.set(item.patient, i)
      }),
    )
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
    const result = await fineTune(
      { store, registry, engine },
      { model: 'tiny-resnet', layers: 'head', folds: 2, options: { maxEpochs: 4 }, registerIfWorse: true },
      { onEpoch: (r) => epochs.push(r.epoch) },
    )
    expect(result.cases).toBe(150)
    expect(result.featuresComputed).toBe(150)
    // the products ran on the inference chain, and the result says where (the last attempt is the one that ran)
    expect(result.providerAttempts.at(-1)).toEqual({ provider: result.provider, ok: true })
    expect(result.folds).toHaveLength(2)
    expect(result.tTest).not.toBeNull()
    expect(result.valMacroAuroc.parent).not.toBeNull()
    expect(result.perFinding).toHaveLength(14)
    expect(epochs.length).toBeGreaterThanOrEqual(3 * 2)

    const parent = registry.get('tiny-resnet', '0.0.1-test').pkg
    const child = registry.get('tiny-resnet', result.child!.version).pkg
    expect(child.manifest.sha256).not.toBe(parent.manifest.sha256)
    expect(child.manifest.provenance.parent).toMatchObject({ version: '0.0.1-test' })
    // Its own out-of-distribution statistics from its training cases, though the parent had none.
    expect(parent.ood).toBeNull()
    expect(child.manifest.ood?.file).toBe('ood.json')
    expect(child.ood).toMatchObject({
      method: 'mahalanobis',
      passRate: 0.95,
      mahalanobis: { dims: 32 },
      provenance: { createdBy: 'cxr-lens train' },
    })
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

    const again = await fineTune(
      { store, registry, engine },
      { model: 'tiny-resnet', version: '0.0.1-test', layers: 'head', options: { maxEpochs: 2, balance: 'smote' } },
    )
    expect(again.featuresComputed).toBe(0) // activations come from the cache
    // SMOTE adds synthetic positives to the training part only.
    expect(again.split.train).toBeGreaterThan(result.split.train)
    expect(again.split.val).toBe(result.split.val)
    expect(again.child!.sha256).not.toBe(result.child!.sha256)
  })
})

describe.runIf(HAS_NIH)('fine-tuning the last block and the final layer', () => {
  it(
    'trains conv_pw_13 and the head of the reference model, writes only those weights, and the engine and Grad-CAM run the new version unchanged',
    { timeout: 300_000 },
    async () => {
      const blockStore = new CaseStore(openDatabase(':memory:'))
      const root = join(dir.path, 'block')
      try {
        await importNih(blockStore, {
          imagesDir: imageFolder(root, NIH_256, readdirSync(NIH_256).sort().slice(500, 560)),
          labelsCsv: LABELS_CSV,
        })
        const registry = new ModelRegistry(blockStore, join(root, 'models'))
        const messages: string[] = []
        const result = await fineTune(
          { store: blockStore, registry, engine, dataDir: root },
          { model: 'cxr-mobilenet-v1', layers: 'head+last-block', options: { maxEpochs: 2, patience: 2 }, registerIfWorse: true },
          { onProgress: (m) => messages.push(m) },
        )
        expect(result.layers).toBe('head+last-block')
        expect(result.featuresComputed).toBe(60)
        expect(messages[0]).toBe("extracting the last block's inputs of 60 cases")
        expect(messages).toContain(
          `matrix products on ${result.provider}${result.providerAttempts
            .filter((a) => !a.ok)
            .map((a) => ` (${a.provider} not used: ${a.reason})`)
            .join('')}`,
        )
        expect(result.valMacroAuroc.parent).not.toBeNull()

        const parent = registry.get('cxr-mobilenet-v1', REFERENCE_VERSION).pkg
        const child = registry.get('cxr-mobilenet-v1', result.child!.version).pkg
        expect(child.manifest.lastBlock).toEqual({
          input: parent.lastBlock!.input,
          weight: parent.lastBlock!.weight,
          bias: parent.lastBlock!.bias,
          activation: 'relu6',
        })
        expect(child.manifest.provenance.createdBy).toBe('cxr-lens train (final layer and last block)')
        // The last block changes the features: the child's statistics are its own (the parent's choice of score).
        expect(child.ood).toMatchObject({ method: parent.ood!.method, mahalanobis: { dims: 1024 } })
        expect(Array.from(child.ood!.mahalanobis.mean.subarray(0, 8))).not.toEqual(Array.from(parent.ood!.mahalanobis.mean.subarray(0, 8)))
        expect(child.manifest.modelCard.outOfDistribution).toMatchObject({ method: parent.ood!.method })
        // Only the bytes of the four trained initializers differ from the parent's file, and all four changed.
        const graph = readOnnxGraph(readFileSync(parent.modelPath))
        const ranges = [parent.lastBlock!.weight, parent.lastBlock!.bias!, 'classifier.weight', 'classifier.bias'].map((name) => {
          const t = graph.initializers.get(name)!
          return { name, from: t.rawOffset!, to: t.rawOffset! + t.data.length * 4, changed: 0 }
        })
        const a = readFileSync(parent.modelPath)
        const b = readFileSync(child.modelPath)
        expect(b.length).toBe(a.length)
        const outside: number[] = []
        for (let i = 0; i < a.length; i++) {
          if (a[i] === b[i]) continue
          const range = ranges.find((r) => i >= r.from && i < r.to)
          if (range) range.changed++
          else outside.push(i)
        }
        expect(outside).toEqual([])
        for (const r of ranges) expect(r.changed, r.name).toBeGreaterThan(0)

        // The engine's head check passes on the new version, its features differ, and Grad-CAM runs on it as on any model.
        const analysis = await analyzeCases(
          { store: blockStore, registry, engine },
          { caseIds: [1, 2], model: 'cxr-mobilenet-v1', version: result.child!.version, methods: ['gradcam'] },
        )
        const findings = parent.manifest.findings
        expect(analysis.cases.map((c) => c.heatmaps.length)).toEqual([findings.length, findings.length])
        for (const c of analysis.cases) expect(c.ood).toMatchObject({ method: parent.ood!.method, score: expect.any(Number) })
        // Every map is finite; a map may be all zero (no positive evidence for that finding anywhere), not every map.
        const maps = findings.map((f) => blockStore.results.heatmap(1, 'cxr-mobilenet-v1', result.child!.version, f, 'gradcam')!)
        for (const map of maps) expect(map.data.every(Number.isFinite)).toBe(true)
        expect(Math.max(...maps.map((map) => Math.max(...map.data)))).toBeGreaterThan(0)
        const input = new Float32Array(3 * parent.manifest.input.height * parent.manifest.input.width).fill(0.1)
        const [before, after] = await Promise.all([engine.run(parent, input, 1), engine.run(child, input, 1)])
        expect(Array.from(after.features)).not.toEqual(Array.from(before.features))

        // A second run reads the block inputs from the cache in the data folder.
        const again = await fineTune(
          { store: blockStore, registry, engine, dataDir: root },
          {
            model: 'cxr-mobilenet-v1',
            version: REFERENCE_VERSION,
            layers: 'head+last-block',
            options: { maxEpochs: 1 },
            registerIfWorse: true,
          },
        )
        expect(again.featuresComputed).toBe(0)
      } finally {
        blockStore.close()
      }
    },
  )

  it('refuses a model without a 1×1 last block, saying why and what to train instead', async () => {
    const registry = new ModelRegistry(store, join(dir.path, 'models'), join(dir.path, 'none'))
    registry.import(resolve(__dirname, '../fixtures/engine/tiny-resnet'))
    await expect(fineTune({ store, registry, engine }, { model: 'tiny-resnet', layers: 'head+last-block' })).rejects.toThrow(
      /tiny-resnet 0\.0\.1-test\S* has no trainable last block \(the feature output is made by Relu of Add.*--layers head/,
    )
  })
})

describe.runIf(HAS_NIH)('training job', () => {
  it('fine-tunes in the worker with epoch progress, from the same IPC surface the UI uses', async () => {
    const { openServices } = await import('../../src/main/services/openServices')
    const { DataFolder } = await import('../../src/main/config/dataFolder')
    const { createDispatcher } = await import('../../src/main/api/dispatch')
    const { createHandlers } = await import('../../src/main/api/handlers')
    const core = openServices(new DataFolder(join(dir.path, 'job-data')), { kind: 'web' })
    try {
      await importNih(core.store, {
        imagesDir: imageFolder(join(dir.path, 'job'), NIH_256, readdirSync(NIH_256).sort().slice(200, 260)),
        labelsCsv: LABELS_CSV,
      })
      core.registry.import(resolve(__dirname, '../fixtures/engine/tiny-resnet'))
      const dispatch = createDispatcher(createHandlers(core), () => undefined)
      // Fine-tuning is a clinical advisor's (or an administrator's): log in as one, as the Models dialog does.
      const { CLI_ACTOR, ReaderAccounts } = await import('../../src/main/readers/readerAccounts')
      const { createSession } = await import('../../src/main/api/session')
      const advisor = await new ReaderAccounts(core.store).create(
        { name: 'Dr Tuner', role: 'clinical_advisor', secret: 'tuner-secret' },
        CLI_ACTOR,
      )
      const session = createSession()
      expect(await dispatch('readers:login', { readerId: advisor.id, secret: 'tuner-secret' }, session)).toMatchObject({ ok: true })
      const messages: string[] = []
      core.jobs.on('progress', (p) => messages.push(p.message))
      const started = await dispatch('training:start', { model: 'tiny-resnet', epochs: 3, registerIfWorse: true }, session)
      if (!started.ok) throw new Error(started.error.message)
      const finished = await core.jobs.wait((started.data as { jobId: string }).jobId)
      expect(finished.state).toBe('succeeded')
      expect((finished.result as { child: { version: string } }).child.version).toMatch(/^0\.0\.1-test\+ft\./)
      expect(messages.some((m) => /epoch \d+: loss/.test(m))).toBe(true)
      expect(core.registry.list().some((m) => m.pkg.manifest.version.startsWith('0.0.1-test+ft.'))).toBe(true)
      const refused = await dispatch('training:start', { model: 'tiny-resnet', layers: 'head+last-block' }, session)
      expect(refused.ok).toBe(false)
      if (!refused.ok) expect(refused.error.message).toMatch(/no trainable last block/)
      const models = await dispatch('models:list', {})
      if (!models.ok) throw new Error(models.error.message)
      const layers = Object.fromEntries(
        (models.data as Array<{ id: string; trainableLayers: string[] }>).map((m) => [m.id, m.trainableLayers]),
      )
      expect(layers).toMatchObject({ 'cxr-mobilenet-v1': ['head', 'head+last-block'], 'tiny-resnet': ['head'] })
    } finally {
      await core.close()
    }
  })
})

describe('naming a fine-tuned version', () => {
  it('never reuses a version: two runs in the same second get .2, .3', () => {
    const at = new Date('2026-11-26T16:38:27.123Z')
    expect(newVersionName('2.0.0+ft.20261101000000', [], at)).toBe('2.0.0+ft.20261126163827')
    expect(newVersionName('2.0.0', ['2.0.0', '2.0.0+ft.20261126163827'], at)).toBe('2.0.0+ft.20261126163827.2')
    expect(newVersionName('2.0.0', ['2.0.0+ft.20261126163827', '2.0.0+ft.20261126163827.2'], at)).toBe('2.0.0+ft.20261126163827.3')
  })
})
