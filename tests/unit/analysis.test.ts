import { readdirSync, writeFileSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importNih } from '../../src/main/cases/nihImporter'
import { camForAllClasses } from '../../src/main/explain/camMethods'
import { analyzeCases } from '../../src/main/analysis/analysisService'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import { ModelRegistry } from '../../src/main/registry/modelRegistry'
import { preprocessImage } from '../../src/main/model/preprocess'
import { CaseStore } from '../../src/main/store/caseStore'
import { openDatabase } from '../../src/main/store/database'
import { HAS_NIH, imageFolder, LABELS_CSV, NIH_256, tempDir } from './helpers'

const FIXTURES = resolve(__dirname, '../fixtures/engine')
const dir = tempDir()
const store = new CaseStore(openDatabase(':memory:'))
const engine = new InferenceEngine({ providers: ['cpu'], threads: 1 })
const emptyBundle = join(dir.path, 'no-bundled-models')
const registry = new ModelRegistry(store, join(dir.path, 'models'), emptyBundle)

afterAll(async () => {
  await engine.close()
  store.close()
  dir.cleanup()
})

describe('model registry', () => {
  it('has no default model until one is imported (test models are never bundled)', () => {
    expect(registry.list()).toEqual([])
    expect(() => registry.get()).toThrow(/No model is installed/)
  })

  it('imports verified packages into the data folder and registers them; the first is the default', () => {
    registry.import(join(FIXTURES, 'tiny-resnet'))
    registry.import(join(FIXTURES, 'tiny-mlp-head'))
    const ids = registry.list().map((m) => `${m.pkg.manifest.id}@${m.pkg.manifest.version}`)
    expect(ids).toEqual(['tiny-mlp-head@0.0.1-test', 'tiny-resnet@0.0.1-test'])
    expect(registry.get().pkg.manifest.id).toBe('tiny-mlp-head')
    expect(registry.get('tiny-resnet').pkg.dir).toBe(join(dir.path, 'models', 'tiny-resnet@0.0.1-test'))
    expect(
      store.models
        .list()
        .map((m) => m.id)
        .sort(),
    ).toEqual(['tiny-mlp-head', 'tiny-resnet'])
    expect(() => registry.get('densenet121')).toThrow(/No model "densenet121"; installed: tiny-mlp-head@0.0.1-test, tiny-resnet@0.0.1-test/)
  })

  it('reports a package corrupted after import instead of using it', () => {
    const target = join(dir.path, 'models', 'tiny-mlp-head@0.0.1-test', 'model.onnx')
    const good = readFileSync(target)
    writeFileSync(target, good.subarray(0, good.length - 100))
    const { models, broken } = registry.scan()
    expect(models.map((m) => m.pkg.manifest.id)).toEqual(['tiny-resnet'])
    expect(broken[0].error).toMatch(/tiny-mlp-head@0.0.1-test: model.onnx has SHA-256/)
    writeFileSync(target, good)
  })

  it('refuses the same id and version with a different file', () => {
    store.models.register('other', '1', 'a'.repeat(64), '{}')
    expect(() => store.models.register('other', '1', 'b'.repeat(64), '{}')).toThrow(/already registered with a different file/)
  })
})

describe.runIf(HAS_NIH)('analysis of stored cases', () => {
  let caseIds: number[]
  beforeAll(async () => {
    const folder = imageFolder(dir.path, NIH_256, readdirSync(NIH_256).sort().slice(0, 5))
    await importNih(store, { imagesDir: folder, labelsCsv: LABELS_CSV })
    caseIds = store.worklist.query({}).rows.map((r) => r.id)
  })

  it('stores probabilities for every finding and each requested map for every finding, from one pass', async () => {
    const result = await analyzeCases(
      { store, registry, engine },
      { caseIds, model: 'tiny-resnet', methods: ['gradcam', 'eigencam'] },
      { batchSize: 2 },
    )
    expect(result.provider).toBe('cpu')
    expect(result.cases).toHaveLength(5)
    const first = result.cases[0]
    expect(Object.keys(first.probabilities)).toHaveLength(14)
    expect(store.results.predictions(first.caseId, 'tiny-resnet', '0.0.1-test')).toHaveLength(14)
    expect(first.heatmaps).toHaveLength(28)
    // The stored Grad-CAM is the engine's map for the same preprocessed image.
    const pkg = registry.get('tiny-resnet').pkg
    const record = store.cases.get(first.caseId)!
    const out = await engine.run(pkg, await preprocessImage(record.path, pkg.manifest), 1)
    const expected = (await camForAllClasses('gradcam', { data: out.features, channels: 32, height: 8, width: 8 }, pkg.head)).maps[1]
    const stored = store.results.heatmap(first.caseId, 'tiny-resnet', '0.0.1-test', 'Cardiomegaly', 'gradcam')!
    expect(stored).toMatchObject({ width: 8, height: 8, method: 'gradcam', params: { layer: 'features' } })
    stored.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6))
  })

  it('gives layer SHAP against a mean background of stored cases, adding up to the logit difference', async () => {
    const result = await analyzeCases(
      { store, registry, engine },
      { caseIds: caseIds.slice(0, 1), model: 'tiny-resnet', methods: ['layershap'], findings: ['Mass'], background: 'mean' },
    )
    const map = store.results.heatmapById(result.cases[0].heatmaps[0].id)!
    const backgroundCases = map.params.backgroundCases as string[]
    expect(map.params.background).toBe('mean')
    expect(backgroundCases.length).toBeGreaterThan(0)
    const pkg = registry.get('tiny-resnet').pkg
    const logitOf = async (caseId: number) =>
      (await engine.run(pkg, await preprocessImage(store.cases.get(caseId)!.path, pkg.manifest), 1)).logits[4]
    let meanBackground = 0
    for (const name of backgroundCases) meanBackground += (await logitOf(store.cases.findByImageName(name)[0].id)) / backgroundCases.length
    const sum = map.data.reduce((a, b) => a + b, 0)
    expect(sum).toBeCloseTo((await logitOf(caseIds[0])) - meanBackground, 4)
  })

  it('runs Kernel SHAP and occlusion for one finding, and refuses CAM for a hidden-layer head', async () => {
    const result = await analyzeCases(
      { store, registry, engine },
      {
        caseIds: caseIds.slice(0, 1),
        model: 'tiny-resnet',
        methods: ['kernelshap', 'occlusion'],
        findings: ['Effusion'],
        grid: 4,
        samples: 200,
      },
    )
    expect(result.cases[0].heatmaps.map((h) => [h.method, h.width])).toEqual([
      ['kernelshap', 4],
      ['occlusion', 4],
    ])
    await expect(analyzeCases({ store, registry, engine }, { caseIds, model: 'tiny-mlp-head', methods: ['cam'] })).rejects.toThrow(
      /hidden layers/,
    )
    await expect(
      analyzeCases({ store, registry, engine }, { caseIds, model: 'tiny-resnet', methods: [], findings: ['Broken Leg'] }),
    ).rejects.toThrow(/no finding Broken Leg/)
  })
})
