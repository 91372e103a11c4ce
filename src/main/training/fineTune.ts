import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bestF1Threshold, delong, delongPaired } from '../evaluation/roc'
import { pairedTTest } from '../evaluation/studentT'
import type { InferenceEngine } from '../inference/inferenceEngine'
import type { ModelManifest } from '../inference/manifest'
import type { ModelRegistry } from '../inference/modelRegistry'
import { readOnnxGraph, patchInitializers } from '../inference/onnxProto'
import { sha256Of } from '../cases/imageIntake'
import type { CaseStore } from '../store/caseStore'
import { pooledFeatures } from './featureExtraction'
import { DEFAULT_TRAIN_OPTIONS, headLogits, macroAuroc, trainLinearHead, type EpochReport, type LinearHead, type TrainingSet, type TrainOptions } from './headTrainer'
import { patientFolds, stratifiedPatientSplit, type Labelled } from './splits'

export interface FineTuneRequest {
  model?: string
  version?: string
  layers: 'head'
  folds?: number
  options?: Partial<TrainOptions>
}

export interface FineTuneHooks {
  signal?: AbortSignal
  onProgress?: (message: string) => void
  onEpoch?: (report: EpochReport & { fold: number | null }) => void
}

function subset(items: Labelled[], features: Map<number, Float32Array>, K: number, C: number): TrainingSet {
  const x = new Float32Array(items.length * K)
  const y = new Uint8Array(items.length * C)
  items.forEach((item, i) => {
    x.set(features.get(item.caseId)!, i * K)
    y.set(item.labels, i * C)
  })
  return { x, y, n: items.length }
}

/**
 * Fine-tunes the model's final layer on the store's labelled cases (patient-wise 70/15/15, optional
 * k-fold cross-validation), compares it with the parent on the same cases, and registers the result
 * as a new model version whose backbone is byte-for-byte the parent's.
 */
export async function fineTune(deps: { store: CaseStore; registry: ModelRegistry; engine: InferenceEngine }, request: FineTuneRequest, hooks: FineTuneHooks = {}) {
  const { pkg } = deps.registry.get(request.model, request.version)
  const { manifest } = pkg
  if (request.layers !== 'head') throw new Error('Only the final layer (--layers head) can be trained in this version')
  if (pkg.head.length !== 1) throw new Error(`${manifest.id} has a head with hidden layers; fine-tuning supports a linear head`)
  const options = { ...DEFAULT_TRAIN_OPTIONS, ...request.options, signal: hooks.signal }
  const K = pkg.head[0].inputs
  const C = manifest.findings.length
  const items: Labelled[] = []
  for (let offset = 0; ; offset += 500) {
    const page = deps.store.worklist.query({ offset, limit: 500 })
    for (const row of page.rows) {
      const labels = deps.store.annotations.labels(row.id).map((l) => l.finding)
      if (labels.length === 0) continue // unlabelled cases teach nothing here; 'No Finding' ones are negatives
      items.push({ caseId: row.id, patient: row.patient ?? `case-${row.id}`, labels: Uint8Array.from(manifest.findings, (f) => (labels.includes(f) ? 1 : 0)) })
    }
    if (page.rows.length === 0 || offset + page.rows.length >= page.total) break
  }
  if (items.length < 20) throw new Error(`Fine-tuning needs labelled cases; the store has ${items.length}`)
  hooks.onProgress?.(`extracting features of ${items.length} cases`)
  const started = performance.now()
  const { features, computed } = await pooledFeatures(deps, pkg, items.map((i) => i.caseId), { signal: hooks.signal, onProgress: (d, t) => hooks.onProgress?.(`features ${d}/${t}`) })
  const featureSeconds = (performance.now() - started) / 1000
  const parent: LinearHead = { weight: pkg.head[0].weight, bias: pkg.head[0].bias }

  const folds: Array<{ fold: number; parentMacroAuroc: number | null; childMacroAuroc: number | null }> = []
  if (request.folds && request.folds >= 2) {
    const parts = patientFolds(items, request.folds, options.seed)
    for (let f = 0; f < parts.length; f++) {
      const rest = parts.filter((_, i) => i !== f).flat()
      const [train, val] = stratifiedPatientSplit(rest, [0.85, 0.15], options.seed + f)
      const result = await trainLinearHead(parent, subset(train, features, K, C), subset(val, features, K, C), K, options, (r) => hooks.onEpoch?.({ ...r, fold: f + 1 }))
      const held = subset(parts[f], features, K, C)
      folds.push({ fold: f + 1, parentMacroAuroc: (await macroAuroc(parent, held, K)).macro, childMacroAuroc: (await macroAuroc(result.head, held, K)).macro })
    }
  }

  const [trainItems, valItems, testItems] = stratifiedPatientSplit(items, [0.7, 0.15, 0.15], options.seed)
  const train = subset(trainItems, features, K, C)
  const val = subset(valItems, features, K, C)
  const test = subset(testItems, features, K, C)
  const epochTimes: number[] = []
  const trained = await trainLinearHead(parent, train, val, K, options, (r) => {
    epochTimes.push(r.seconds)
    hooks.onEpoch?.({ ...r, fold: null })
  })
  const compare = async (set: TrainingSet) => {
    const a = await headLogits(trained.head, set.x, set.n, K)
    const b = await headLogits(parent, set.x, set.n, K)
    return manifest.findings.map((finding, c) => {
      const labels = Array.from({ length: set.n }, (_, i) => set.y[i * C + c])
      const child = Array.from({ length: set.n }, (_, i) => a[i * C + c])
      const par = Array.from({ length: set.n }, (_, i) => b[i * C + c])
      const test = delongPaired(child, par, labels)
      return { finding, childAuroc: test?.aucA ?? null, parentAuroc: test?.aucB ?? null, p: test?.p ?? null, probabilities: child.map((z) => 1 / (1 + Math.exp(-z))), labels }
    })
  }
  const valComparison = await compare(val)
  const testComparison = await compare(test)
  const macro = (rows: Array<{ childAuroc: number | null; parentAuroc: number | null }>, key: 'childAuroc' | 'parentAuroc') => {
    const v = rows.map((r) => r[key]).filter((x): x is number => x !== null)
    return v.length ? v.reduce((s, x) => s + x, 0) / v.length : null
  }
  const child = registerChild(deps.registry, pkg.modelPath, manifest, trained.head, {
    thresholds: Object.fromEntries(valComparison.map((r) => [r.finding, bestF1Threshold(r.probabilities, r.labels)])),
    metrics: {
      val: { macro_auroc: macro(valComparison, 'childAuroc'), parent_macro_auroc: macro(valComparison, 'parentAuroc'), n: val.n },
      test: { macro_auroc: macro(testComparison, 'childAuroc'), parent_macro_auroc: macro(testComparison, 'parentAuroc'), n: test.n,
        per_finding: Object.fromEntries(testComparison.map((r) => [r.finding, { auroc: r.childAuroc, ci95: delong(r.probabilities, r.labels)?.ci95 ?? null }])) },
      folds,
    },
    training: { cases: items.length, train: train.n, val: val.n, test: test.n, bestEpoch: trained.bestEpoch, options: { ...options, signal: undefined } },
  })
  const tTest = folds.length >= 2 ? pairedTTest(folds.map((f) => f.childMacroAuroc ?? 0), folds.map((f) => f.parentMacroAuroc ?? 0)) : null
  return {
    parent: { id: manifest.id, version: manifest.version }, child, cases: items.length, featureSeconds, featuresComputed: computed,
    split: { train: train.n, val: val.n, test: test.n },
    valMacroAuroc: { child: macro(valComparison, 'childAuroc'), parent: macro(valComparison, 'parentAuroc') },
    testMacroAuroc: { child: macro(testComparison, 'childAuroc'), parent: macro(testComparison, 'parentAuroc') },
    perFinding: valComparison.map(({ finding, childAuroc, parentAuroc, p }) => ({ finding, childAuroc, parentAuroc, p })),
    folds, tTest, history: trained.history, epochSeconds: epochTimes,
  }
}

/** Writes the new head into a copy of the parent's ONNX file and installs it as a new version. */
function registerChild(registry: ModelRegistry, parentPath: string, parent: ModelManifest, head: LinearHead, extra: { thresholds: Record<string, number>; metrics: Record<string, unknown>; training: Record<string, unknown> }) {
  const bytes = readFileSync(parentPath)
  const graph = readOnnxGraph(bytes)
  const layer = parent.head.layers[0]
  const C = head.bias.length
  const K = head.weight.length / C
  const weight = layer.weightLayout === 'out_in' ? head.weight : Float32Array.from({ length: C * K }, (_, i) => head.weight[(i % C) * K + Math.floor(i / C)])
  const patched = patchInitializers(bytes, graph, { [layer.weight]: weight, ...(layer.bias ? { [layer.bias]: head.bias } : {}) })
  const version = `${parent.version.split('+')[0]}+ft.${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}`
  const manifest: ModelManifest = {
    ...parent, version, sha256: sha256Of(patched), thresholds: extra.thresholds,
    provenance: { ...parent.provenance, parent: { id: parent.id, version: parent.version, sha256: parent.sha256 }, createdBy: 'cxr-lens train (final layer)', training: extra.training },
    modelCard: { ...parent.modelCard, metrics: extra.metrics, trainingData: `${parent.modelCard.trainingData}; final layer fine-tuned on ${String(extra.training.cases)} labelled cases of this workstation` },
  }
  const dir = mkdtempSync(join(tmpdir(), 'cxr-finetune-'))
  try {
    writeFileSync(join(dir, 'model.onnx'), patched)
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2))
    const entry = registry.import(dir)
    return { id: manifest.id, version, sha256: manifest.sha256, dir: entry.pkg.dir }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
