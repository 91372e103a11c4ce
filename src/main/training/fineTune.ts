import { bestF1Threshold, delong, delongPaired } from '../stats/roc'
import { pairedTTest } from '../stats/studentT'
import type { InferenceEngine } from '../model/inferenceEngine'
import type { LastBlock } from '../model/lastBlock'
import type { ModelRegistry } from '../registry/modelRegistry'
import type { CaseStore } from '../store/caseStore'
import { blockInputs } from './blockInputs'
import { camLocalization, priorLocalization } from './boxLocalization'
import { BOX_RULE_PARENT_BASE, boxSelection, DEFAULT_BOX_WEIGHTS, localizationReport, meanOverFindings, type BoxCandidate } from './boxSelection'
import { boxTargets, caseBoxes } from './boxTargets'
import type { BoxTarget } from './camLoss'
import { checkpointPath, configHash, lockCheckpoint, readCheckpoint, removeCheckpoint, writeCheckpoint } from './checkpoint'
import { pooledFeatures } from './featureExtraction'
import { childOodStats } from './childOod'
import { registerChild } from './registerChild'
import { rowSet, type RowSet } from './rowSet'
import { smote, smoteCounts } from './smote'
import { readSplitFile } from './splitFile'
import { teacherTargets } from './distillTargets'
import { patientFolds, stratifiedPatientSplit, type Labelled } from './splits'
import { blockTrainable, linearHeadTrainable, type Trainable } from './trainables'
import { labelledItems } from './trainingData'
import { DEFAULT_TRAIN_OPTIONS, logitsOf, macroAurocOf, trainLoop, type EpochReport, type TrainerState, type TrainOptions } from './trainLoop'
import type { TrainLayers } from '../../shared/domain'
import { DataFolder } from '../config/dataFolder'
import type { TrainResult } from '../../shared/jobs'
import { trainingProducts, type TrainingProducts } from '../model/matmulKernel'

export interface FineTuneRequest {
  model?: string
  version?: string
  layers: TrainLayers
  folds?: number
  options?: Partial<TrainOptions>
  /** start over instead of resuming a checkpoint of the same configuration */
  fresh?: boolean
  /** the cases' boxes supervise the class activation maps (CAM loss); needs head+last-block */
  boxes?: boolean
  /** candidate λ for the CAM loss (0 is added unless skipLabelsOnly); the one kept is chosen on validation boxes */
  boxWeights?: number[]
  /** do not train the labels-only (λ = 0) run beside the box weights; the parent's validation AUROC is the rule's base instead */
  skipLabelsOnly?: boolean
  /** λ multipliers by finding name (a finding left out: 1), e.g. Cardiomegaly's big box wanting more fill */
  boxFindingWeights?: Record<string, number>
  /** with the level term (options.levelWeight): the findings it applies to (absent: all) */
  levelFindings?: string[]
  /** a fixed train/val/test split by image name (columns image, split) instead of a drawn one */
  splitFile?: string
  /** register even when the new version scores below its parent on validation */
  registerIfWorse?: boolean
  /** distillation: a teacher's probabilities (CSV, see teacherFile.ts) as soft targets on the train split's images that it lists */
  distill?: { file: string; weight: number }
}

export interface FineTuneHooks {
  signal?: AbortSignal
  onProgress?: (message: string) => void
  onEpoch?: (report: EpochReport & { fold: number | null }) => void
}

interface FoldResult {
  fold: number
  parentMacroAuroc: number | null
  childMacroAuroc: number | null
}

/** What a checkpoint carries besides the trainer state: where in the run it was taken. */
interface RunMeta {
  version: string
  /** 0..folds−1: that cross-validation fold; folds: the final training */
  stage: number
  folds: FoldResult[]
  /** with boxes: the λ candidates trained so far and their validation figures */
  candidates?: BoxCandidate[]
}

/** The model's column of a finding named by a training option; a name the model does not predict is refused. */
function columnOf(name: string, findings: string[], what: string): number {
  const c = findings.indexOf(name)
  if (c < 0) throw new Error(`${what} "${name}": the model predicts ${findings.join(', ')}`)
  return c
}

/** Per-finding λ multipliers by the model's columns (1 where not named). */
export function boxFindingWeightsOf(byName: Record<string, number>, findings: string[]): Float64Array {
  const out = new Float64Array(findings.length).fill(1)
  for (const [name, w] of Object.entries(byName)) {
    const c = columnOf(name, findings, 'box finding weight for')
    if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`box finding weight for ${name} must be a number ≥ 0, not ${w}`)
    out[c] = w
  }
  return out
}

/** The model's columns the level term applies to. */
export function levelColumnsOf(names: string[], findings: string[]): Set<number> {
  return new Set(names.map((name) => columnOf(name, findings, 'level finding')))
}

const mean = (v: Array<number | null>) => {
  const d = v.filter((x): x is number => x !== null)
  return d.length ? d.reduce((s, x) => s + x, 0) / d.length : null
}

/**
 * Fine-tunes the model's final layer, or its last pointwise block and final layer, on the store's
 * labelled cases (patient-wise 70/15/15, optional k-fold cross-validation), compares the result
 * with the parent on the same cases, and registers it as a new model version. With a data folder,
 * every epoch leaves a checkpoint there, and a run of the same configuration resumes from it.
 */
export async function fineTune(
  deps: {
    store: CaseStore
    registry: ModelRegistry
    engine: InferenceEngine
    dataDir?: string
    /** where the matrix products run: the process's provider chain unless given (bench:train --provider, the GPU equality test) */
    products?: TrainingProducts
  },
  request: FineTuneRequest,
  hooks: FineTuneHooks = {},
): Promise<TrainResult> {
  const productsOf = deps.products ?? trainingProducts
  const { pkg } = deps.registry.get(request.model, request.version)
  const { manifest } = pkg
  if (request.layers !== 'head' && request.layers !== 'head+last-block') throw new Error(`layers must be "head" or "head+last-block", not "${String(request.layers)}"`)
  if (pkg.head.length !== 1) throw new Error(`${manifest.id} has a head with hidden layers; fine-tuning supports a linear head`)
  const block: LastBlock | null = request.layers === 'head+last-block' ? pkg.lastBlock : null
  if (request.layers === 'head+last-block' && !block) throw new Error(pkg.lastBlockMissing ?? `${manifest.id} has no trainable last block`)
  if (request.boxes && !block) throw new Error('Box supervision shapes the class activation map, which the last block makes: train head+last-block (--layers head+last-block)')
  const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...request.options }
  const K = pkg.head[0].inputs
  const C = manifest.findings.length
  const [, gridH, gridW] = manifest.outputs.features.shape
  const labelled = labelledItems(deps.store, manifest.findings)
  // A fixed split (the reference model's split.csv) keeps the parent's own test images out of fitting and choosing.
  const fixed = request.splitFile ? readSplitFile(request.splitFile) : null
  const partOf = new Map(fixed ? labelled.map((i) => [i.caseId, fixed.get(deps.store.cases.get(i.caseId)?.imageName ?? '')]) : [])
  const items = fixed ? labelled.filter((i) => partOf.get(i.caseId)) : labelled
  if (fixed && items.length < labelled.length) hooks.onProgress?.(`${labelled.length - items.length} labelled cases are not in ${request.splitFile} and are left out`)
  if (items.length < 20) throw new Error(`Fine-tuning needs labelled cases; the store has ${items.length}${fixed ? ` in ${request.splitFile}` : ''}`)
  const boxesOf = request.boxes ? caseBoxes(deps.store, items.map((i) => i.caseId), manifest.findings) : new Map()
  if (request.boxes && boxesOf.size === 0) throw new Error('Box supervision needs cases with boxes; none of the labelled cases has a box of a finding this model predicts')
  // Read before any extraction, so a bad file is refused at once.
  const teacher = request.distill ? teacherTargets(request.distill, manifest.findings, (id) => deps.store.cases.get(id)?.imageName ?? '') : null
  const skipLabelsOnly = Boolean(request.boxes && request.skipLabelsOnly)
  const boxWeights = request.boxes ? [...new Set([...(skipLabelsOnly ? [] : [0]), ...(request.boxWeights ?? DEFAULT_BOX_WEIGHTS)])].sort((a, b) => a - b) : []
  if (skipLabelsOnly && !boxWeights.some((w) => w > 0)) throw new Error('Skipping the labels-only run leaves no box weight above 0 to train')
  if (boxWeights.some((w) => !(w >= 0) || !Number.isFinite(w))) throw new Error(`box weights must be numbers ≥ 0, not ${boxWeights.join(', ')}`)
  const findingWeights = request.boxes && request.boxFindingWeights ? boxFindingWeightsOf(request.boxFindingWeights, manifest.findings) : null
  const levelColumns = request.boxes && request.levelFindings ? levelColumnsOf(request.levelFindings, manifest.findings) : null

  hooks.onProgress?.(`extracting ${block ? `the last block's inputs` : 'features'} of ${items.length} cases`)
  const started = performance.now()
  const onProgress = (d: number, t: number) => hooks.onProgress?.(`features ${d}/${t}`)
  const caseIds = items.map((i) => i.caseId)
  let matrix: Float32Array, D: number, cells = 1, computed: number
  if (block) {
    ;({ matrix, cells, computed } = await blockInputs({ ...deps, cacheDir: deps.dataDir && new DataFolder(deps.dataDir).cache, products: productsOf }, pkg, block, caseIds, { signal: hooks.signal, onProgress }))
    D = cells * block.inChannels
  } else {
    const pooled = await pooledFeatures(deps, pkg, caseIds, { signal: hooks.signal, onProgress })
    matrix = new Float32Array(items.length * K)
    caseIds.forEach((id, row) => matrix.set(pooled.features.get(id)!, row * K))
    ;({ computed } = pooled)
    D = K
  }
  const featureSeconds = (performance.now() - started) / 1000
  // The products run on the inference provider chain; say which before the first epoch (issue 19).
  const products = await productsOf.provider()
  hooks.onProgress?.(`matrix products on ${products.provider}${products.attempts.filter((a) => !a.ok).map((a) => ` (${a.provider} not used: ${a.reason})`).join('')}`)
  const rowOf = new Map(items.map((item, row) => [item.caseId, row]))
  const setOf = (part: Labelled[]) => rowSet(matrix, D, part.map((i) => rowOf.get(i.caseId)!), (row) => items[row].labels, C)
  const makeModel = (params?: Float32Array[]): Trainable => {
    const head = { weight: Float32Array.from(pkg.head[0].weight), bias: Float32Array.from(pkg.head[0].bias) }
    const model = block
      ? blockTrainable({ weight: Float32Array.from(block.weightData), bias: Float32Array.from(block.biasData), activation: block.activation, inChannels: block.inChannels }, head, cells, options.blockLrScale, productsOf)
      : linearHeadTrainable(head, K, productsOf)
    params?.forEach((p, i) => model.params[i].data.set(p))
    return model
  }
  const parent = makeModel()
  const balanced = async (set: RowSet, stage: number) =>
    options.balance === 'smote' ? set.withSynthetic(await smote(set, smoteCounts(set, options.smoteRatio), { k: options.smoteK, seed: options.seed + stage, findings: manifest.findings, products: productsOf })) : set

  const folds = request.folds && request.folds >= 2 ? request.folds : 0
  // Same parent file, layers, options and labelled cases ⇒ same run, so its checkpoint may be resumed.
  const hash = configHash({
    parent: manifest.sha256, layers: request.layers, folds, options, cases: items.map((i) => [i.caseId, i.patient, Array.from(i.labels)]),
    // only present when used, so runs without them keep the hash (and checkpoint) they had
    ...(fixed ? { split: items.map((i) => partOf.get(i.caseId)) } : {}),
    ...(teacher ? { distill: teacher.hashInput } : {}),
    ...(skipLabelsOnly ? { skipLabelsOnly } : {}),
    ...(findingWeights ? { boxFindingWeights: Array.from(findingWeights) } : {}),
    ...(levelColumns ? { levelFindings: [...levelColumns].sort((a, b) => a - b) } : {}),
    ...(request.boxes ? { boxWeights, boxes: [...boxesOf].map(([id, b]) => [id, [...b].map(([c, rects]) => [c, rects.map((r: { x: number; y: number; w: number; h: number }) => [r.x, r.y, r.w, r.h])])]) } : {}),
  })
  const path = deps.dataDir ? checkpointPath(deps.dataDir, manifest.id, hash) : null
  // One run per configuration at a time: the app's job and the CLI share the data folder.
  const release = path ? lockCheckpoint(path) : () => undefined
  try {
    if (path && request.fresh) removeCheckpoint(path)
    const resumed = path ? readCheckpoint<RunMeta>(path, hash) : null
    const resumedFrom = resumed ? { fold: resumed.meta.stage < folds ? resumed.meta.stage + 1 : null, epoch: resumed.state.epoch } : null
    if (resumedFrom) hooks.onProgress?.(`resuming from the checkpoint after ${resumedFrom.fold ? `fold ${resumedFrom.fold}, ` : ''}epoch ${resumedFrom.epoch}`)
    const meta: RunMeta = resumed?.meta ?? { version: newVersionName(manifest.version, deps.store.models.list().filter((m) => m.id === manifest.id).map((m) => m.version)), stage: 0, folds: [] }
    const checkpointSeconds: number[] = []
    const runStage = async (
      stage: number,
      train: RowSet,
      val: RowSet,
      fold: number | null,
      boxes?: { weight: number; targets: Array<BoxTarget[] | null> },
      distill?: { weight: number; targets: Array<Float32Array | null> },
    ) => {
      const model = makeModel()
      let last: TrainerState | null = null
      const result = await trainLoop(model, train, val, options, {
        signal: hooks.signal,
        resume: resumed && resumed.meta.stage === stage ? resumed.state : undefined,
        onEpoch: (r) => hooks.onEpoch?.({ ...r, fold }),
        onCheckpoint: (state) => {
          last = state
          if (!path) return
          const t = performance.now()
          writeCheckpoint(path, { hash, meta: { ...meta, stage }, state })
          checkpointSeconds.push((performance.now() - t) / 1000)
        },
        boxes,
        distill,
      })
      return { model: makeModel(result.params), result, state: last as TrainerState | null }
    }

    const parts = folds ? patientFolds(items, folds, options.seed) : []
    for (let f = meta.folds.length; f < folds; f++) {
      const [train, val] = stratifiedPatientSplit(parts.filter((_, i) => i !== f).flat(), [0.85, 0.15], options.seed + f)
      const { model } = await runStage(f, await balanced(setOf(train), f), setOf(val), f + 1, undefined, teacher?.forRows(train.map((i) => i.caseId)))
      const held = setOf(parts[f])
      meta.folds.push({ fold: f + 1, parentMacroAuroc: (await macroAurocOf(await logitsOf(parent, held), held)).macro, childMacroAuroc: (await macroAurocOf(await logitsOf(model, held), held)).macro })
    }

    const [trainItems, valItems, testItems] = fixed
      ? (['train', 'val', 'test'] as const).map((part) => items.filter((i) => partOf.get(i.caseId) === part))
      : stratifiedPatientSplit(items, [0.7, 0.15, 0.15], options.seed)
    if (fixed && (trainItems.length === 0 || valItems.length === 0)) throw new Error(`${request.splitFile} leaves no labelled case in ${trainItems.length ? 'val' : 'train'}`)
    const train = await balanced(setOf(trainItems), folds)
    const val = setOf(valItems)
    const test = setOf(testItems)
    // Box targets by training position (SMOTE's synthetic rows, past the real ones, have none).
    const trainTargets = trainItems.map((i) =>
      boxesOf.has(i.caseId)
        ? boxTargets(boxesOf.get(i.caseId)!, gridW, gridH).map((t) => ({
            ...t,
            ...(findingWeights && findingWeights[t.finding] !== 1 ? { weight: findingWeights[t.finding] } : {}),
            ...(levelColumns && !levelColumns.has(t.finding) ? { level: false } : {}),
          }))
        : null,
    )
    // Teacher probabilities by training position, for train-split images only: the val and test images never meet the teacher.
    const stageDistill = teacher?.forRows(trainItems.map((i) => i.caseId))
    if (teacher && stageDistill) hooks.onProgress?.(`distillation: ${stageDistill.targets.filter(Boolean).length} of ${trainItems.length} training images have teacher probabilities (weight ${teacher.weight})`)
    const valBoxes = (position: number) => boxesOf.get(valItems[position].caseId)
    const grid = { height: gridH, width: gridW }

    // With boxes, one run per λ (stages folds…folds+λs−1), each scored on validation, then the chosen one.
    const finalStage = folds + boxWeights.length
    const trainedParams = new Map<number, { params: Float32Array[]; state: TrainerState | null }>()
    meta.candidates ??= []
    for (let j = meta.candidates.length; j < boxWeights.length; j++) {
      hooks.onProgress?.(`box weight λ = ${boxWeights[j]} (${j + 1} of ${boxWeights.length})`)
      const { model, state } = await runStage(folds + j, train, val, null, { weight: boxWeights[j], targets: trainTargets }, stageDistill)
      const loc = await camLocalization(model, val, valBoxes, grid)
      meta.candidates.push({ weight: boxWeights[j], valMacroAuroc: (await macroAurocOf(await logitsOf(model, val), val)).macro, ...meanOverFindings(loc) })
      trainedParams.set(j, { params: model.params.map((p) => Float32Array.from(p.data)), state })
    }
    // Without a labels-only run the parent's validation AUROC is the λ rule's base.
    const parentValAuroc = skipLabelsOnly ? (await macroAurocOf(await logitsOf(parent, val), val)).macro : null
    const selection = boxWeights.length ? boxSelection(meta.candidates, parentValAuroc) : null
    const kept = selection ? trainedParams.get(selection.index) : undefined
    let stage: Awaited<ReturnType<typeof runStage>>
    if (kept && kept.state) {
      // The chosen λ's run, as the final stage's finished state: a rerun (the register decision) resumes it at once.
      if (path) writeCheckpoint(path, { hash, meta: { ...meta, stage: finalStage }, state: kept.state })
      stage = { model: makeModel(kept.params), result: { params: kept.params, bestEpoch: kept.state.best.epoch, bestValMacroAuroc: kept.state.best.auroc, history: kept.state.history }, state: kept.state }
    } else {
      // No box search, or its chosen run was trained before a resume: train (or resume) it as the final stage.
      stage = await runStage(finalStage, train, val, null, selection ? { weight: selection.weight, targets: trainTargets } : undefined, stageDistill)
    }
    const { model: child, result: trained } = stage
    const compare = async (set: RowSet) => {
      const a = await logitsOf(child, set)
      const b = await logitsOf(parent, set)
      return manifest.findings.map((finding, c) => {
        const labels = Array.from({ length: set.n }, (_, i) => set.labels[i * C + c])
        const mine = Array.from({ length: set.n }, (_, i) => a[i * C + c])
        const theirs = Array.from({ length: set.n }, (_, i) => b[i * C + c])
        const t = delongPaired(mine, theirs, labels)
        return { finding, childAuroc: t?.aucA ?? null, parentAuroc: t?.aucB ?? null, p: t?.p ?? null, probabilities: mine.map((z) => 1 / (1 + Math.exp(-z))), labels }
      })
    }
    const valRows = await compare(val)
    const testRows = await compare(test)
    const macro = (rows: typeof valRows, key: 'childAuroc' | 'parentAuroc') => mean(rows.map((r) => r[key]))
    const localization = selection
      ? localizationReport({
          findings: manifest.findings,
          selection,
          candidates: meta.candidates,
          child: await camLocalization(child, val, valBoxes, grid),
          parent: await camLocalization(parent, val, valBoxes, grid),
          prior: priorLocalization(manifest.localizationPrior, manifest.findings, valItems.flatMap((i) => (boxesOf.has(i.caseId) ? [boxesOf.get(i.caseId)!] : []))),
          ...(skipLabelsOnly ? { rule: BOX_RULE_PARENT_BASE } : {}),
          boxedCases: { train: trainItems.filter((i) => boxesOf.has(i.caseId)).length, val: valItems.filter((i) => boxesOf.has(i.caseId)).length, test: testItems.filter((i) => boxesOf.has(i.caseId)).length },
        })
      : null
    const valMacroAuroc = { child: macro(valRows, 'childAuroc'), parent: macro(valRows, 'parentAuroc') }
    const reasons = [
      ...(valMacroAuroc.child !== null && valMacroAuroc.parent !== null && valMacroAuroc.child < valMacroAuroc.parent
        ? [`validation macro AUROC ${valMacroAuroc.child.toFixed(3)} vs ${valMacroAuroc.parent.toFixed(3)}`]
        : []),
      ...(localization && localization.mean.child.iouMean !== null && localization.mean.parent.iouMean !== null && localization.mean.child.iouMean < localization.mean.parent.iouMean
        ? [`validation Grad-CAM mean IoU ${localization.mean.child.iouMean.toFixed(3)} vs ${localization.mean.parent.iouMean.toFixed(3)}`]
        : []),
    ]
    const belowParent = reasons.length ? { reasons } : null
    const summary = {
      parent: { id: manifest.id, version: manifest.version }, version: meta.version, belowParent, layers: request.layers, cases: items.length, featureSeconds, featuresComputed: computed,
      resumedFrom,
      split: { train: train.n, val: val.n, test: test.n },
      valMacroAuroc,
      testMacroAuroc: { child: macro(testRows, 'childAuroc'), parent: macro(testRows, 'parentAuroc') },
      perFinding: valRows.map(({ finding, childAuroc, parentAuroc, p }) => ({ finding, childAuroc, parentAuroc, p })),
      folds: meta.folds, history: trained.history, keptEpoch: trained.bestEpoch, epochSeconds: trained.history.map((h) => h.seconds), checkpointSeconds, localization,
      provider: products.provider, providerAttempts: products.attempts,
    }
    const tTest = meta.folds.length >= 2 ? pairedTTest(meta.folds.map((f) => f.childMacroAuroc ?? 0), meta.folds.map((f) => f.parentMacroAuroc ?? 0)) : null
    if (belowParent && !request.registerIfWorse) {
      // Not registered: the finished run stays in its checkpoint, so the same request with registerIfWorse registers it without retraining.
      hooks.onProgress?.(`not registered: ${meta.version} scores below its parent (${reasons.join('; ')})`)
      return { ...summary, child: null, registered: false, tTest }
    }
    const param = (name: string) => child.params.find((p) => p.name === name)!.data
    // Unbalanced rows: SMOTE points are not cases, so they must not shape the in-distribution statistics.
    const ood = await childOodStats(child, setOf(trainItems), val, pkg.ood)
    // The name was drawn when the run started; two runs started in the same second draw the same one, and
    // the first to finish takes it. A version of that name with this very file is this run's own (a crash
    // after registering, resumed): registering it again is a no-op. Any other file gets a fresh name, as
    // does a name the registry refused (`taken`: another process published it after the store was read).
    const versionOf = (sha256: string, taken: readonly string[]) => {
      const mine = deps.store.models.list().filter((m) => m.id === manifest.id)
      const names = [...mine.map((m) => m.version), ...taken]
      const held = taken.includes(meta.version) || mine.some((m) => m.version === meta.version && m.sha256 !== sha256)
      return held ? newVersionName(manifest.version, names) : meta.version
    }
    const created = registerChild(deps.registry, pkg.modelPath, manifest, versionOf, {
      head: { weight: param('head.weight'), bias: param('head.bias') },
      block: block ? { def: block, weight: param('block.weight'), bias: param('block.bias') } : undefined,
    }, {
      thresholds: Object.fromEntries(valRows.map((r) => [r.finding, bestF1Threshold(r.probabilities, r.labels)])),
      metrics: {
        val: { macro_auroc: macro(valRows, 'childAuroc'), parent_macro_auroc: macro(valRows, 'parentAuroc'), n: val.n },
        test: { macro_auroc: macro(testRows, 'childAuroc'), parent_macro_auroc: macro(testRows, 'parentAuroc'), n: test.n,
          per_finding: Object.fromEntries(testRows.map((r) => [r.finding, { auroc: r.childAuroc, ci95: delong(r.probabilities, r.labels)?.ci95 ?? null }])) },
        folds: meta.folds,
        ...(localization ? { localization_val: localization } : {}),
        ...(belowParent ? { below_parent: belowParent.reasons, registered_anyway: true } : {}),
      },
      training: {
        cases: items.length, layers: request.layers, train: train.n, val: val.n, test: test.n, bestEpoch: trained.bestEpoch, options,
        ...(fixed ? { splitFile: request.splitFile } : {}),
        ...(teacher && stageDistill ? { distillation: { file: teacher.file, weight: teacher.weight, trainImages: stageDistill.targets.filter(Boolean).length } } : {}),
        ...(selection ? { boxSupervision: { weight: selection.weight, candidates: boxWeights, ...(options.boxLoss ? { loss: options.boxLoss } : {}), ...(findingWeights ? { findingWeights: request.boxFindingWeights } : {}), ...(levelColumns ? { levelFindings: request.levelFindings } : {}), boxedCases: localization!.boxedCases } } : {}),
      },
      ood,
    })
    // Only once the version is registered: a crash before this resumes and registers the same version.
    if (path) removeCheckpoint(path)
    return { ...summary, version: created.version, child: created, registered: true, tTest }
  } finally {
    release()
  }
}

/** `<base>+ft.<UTC seconds>`; two runs finishing within the same second get `.2`, `.3`… rather than colliding. */
export function newVersionName(parentVersion: string, taken: readonly string[], now = new Date()): string {
  const base = `${parentVersion.split('+')[0]}+ft.${now.toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}`
  if (!taken.includes(base)) return base
  let n = 2
  while (taken.includes(`${base}.${n}`)) n++
  return `${base}.${n}`
}
