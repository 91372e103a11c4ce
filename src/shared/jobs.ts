/**
 * The job map: every kind of background job with the schema its request must satisfy and the type
 * of its result. The API handlers start jobs through it, the worker's runners `satisfies` it (a kind
 * without a runner does not compile), and `jobs:get` / `job:finished` are typed by kind from it, so
 * the renderer, the CLI and the worker share one request type and one result type per kind.
 */
import { z } from 'zod'
import {
  TRAIN_LAYERS,
  type ImportRequest,
  type OodMark,
  type ImportSummary,
  type JobProgress,
  type JobState,
  type TrainLayers,
} from './domain'
import { EXPLAIN_METHODS, type ExplainMethod } from './explainMethods'
import type { PacsPullSummary } from './pacs'
import { pacsPullRequestSchema } from './pacsSchemas'

/** Phantom marker: carries a result type without any runtime value. */
function yields<T>(): T {
  return undefined as T
}

const absolutePath = z.string().min(1).max(4096)
export const modelIdSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/)
export const modelVersionSchema = z.string().min(1).max(64)

export const importRequestSchema = z
  .object({ imagesDir: absolutePath, labelsCsv: absolutePath, boxesCsv: absolutePath.optional() })
  .strict() satisfies z.ZodType<ImportRequest>

export interface DicomImportRequest {
  dicomDir: string
}
export const dicomImportRequestSchema = z.object({ dicomDir: absolutePath }).strict() satisfies z.ZodType<DicomImportRequest>

export type BackgroundKind = 'blur' | 'mean'

/** One model run over stored cases: the workstation's Run button and `cxr-lens explain` both send this. */
export interface AnalysisRequest {
  caseIds: number[]
  model?: string
  version?: string
  methods: ExplainMethod[]
  /** Findings whose heatmaps are stored; all when omitted (predictions always cover all). */
  findings?: string[]
  /** Kernel SHAP / occlusion grid side (default 8). */
  grid?: number
  /** Kernel SHAP coalitions (default 1000). */
  samples?: number
  /** Kernel SHAP sampling seed (default 1). */
  seed?: number
  /** Score-CAM: channels used, highest mean activation first (default SCORECAM_DEFAULT_CHANNELS). */
  channels?: number
  /** What a removed region becomes for kernelshap/occlusion/layershap (default 'blur'). */
  background?: BackgroundKind
}

export const analysisRequestSchema = z
  .object({
    // 100,000 ids pack to 800 KB (float64 frame), inside the 1 MiB message limit; larger sets go in batches.
    caseIds: z.array(z.number().int().positive()).min(1).max(100_000),
    model: modelIdSchema.optional(),
    version: modelVersionSchema.optional(),
    methods: z.array(z.enum(EXPLAIN_METHODS)).max(EXPLAIN_METHODS.length),
    findings: z.array(z.string().min(1).max(64)).max(64).optional(),
    // 256 × 256 cells is the most a stored map may hold (MAX_HEATMAP_CELLS in contract.ts).
    grid: z.number().int().min(1).max(256).optional(),
    samples: z.number().int().min(1).max(1_000_000).optional(),
    seed: z.number().int().optional(),
    background: z.enum(['blur', 'mean']).optional(),
    channels: z.number().int().positive().max(100_000).optional(),
  })
  .strict() satisfies z.ZodType<AnalysisRequest>

/** One fine-tuning run: the Fine-tune panel and `cxr-lens train` both send this. */
export interface TrainingRequest {
  model?: string
  version?: string
  /** default 'head' */
  layers?: TrainLayers
  folds?: number
  epochs?: number
  patience?: number
  loss?: 'bce' | 'focal'
  balance?: 'weights' | 'smote' | 'none'
  learningRate?: number
  seed?: number
  /** discard a checkpoint of the same configuration instead of resuming it */
  fresh?: boolean
  /** the cases' boxes (dataset and readers') supervise where the class activation falls (needs head+last-block) */
  boxes?: boolean
  /** with `boxes`: the candidate box-loss weights λ (0, labels only, is always tried), one chosen on validation boxes */
  boxWeights?: number[]
  /** a CSV with columns image, split (train/val/test) fixing the split instead of drawing one; unlisted cases are left out */
  splitFile?: string
  /** register the new version even when it scores below its parent on validation (otherwise it waits for this decision) */
  registerIfWorse?: boolean
  /** label smoothing ε of the BCE targets (0…0.5; BCE only) */
  labelSmoothing?: number
  /** a teacher's probabilities (CSV: image, prob_<Finding>…) as soft targets on the train split's images it lists */
  distill?: string
  /** with `distill`: the weight of the distillation term (default 1) */
  distillWeight?: number
  /** mixup α on the trained layers' cached inputs (BCE only) */
  mixup?: number
  /** with `boxes`: the localization term, `mass` (default), `fill` or `fill+mass` (src/main/training/boxLoss.ts) */
  boxLoss?: BoxLoss
  /** with `boxes`: do not train the labels-only (λ = 0) run; λ is then chosen against the parent's validation AUROC */
  skipLabelsOnly?: boolean
  /** with `boxLoss` fill or fill+mass: the fill term's temperature τ (default 2, src/main/training/fillLoss.ts) */
  fillTemperature?: number
  /** with `boxLoss` fill or fill+mass: the level term's weight, a multiple of λ (the variance of the standardized map inside the box; default 0, none) */
  levelWeight?: number
  /** with `levelWeight`: the findings the level term applies to (default: all) */
  levelFindings?: string[]
  /** with `layers` head+last-block: the last block's learning rate as a fraction of the head's (default 0.1) */
  blockLrScale?: number
  /** with `boxes`: λ multipliers by finding (a finding left out: 1); a list, so the wire size is bounded */
  boxFindingWeights?: Array<{ finding: string; weight: number }>
  /** the weights kept: the best validation macro AUROC's epoch (default) or the last epoch's (no early stopping) */
  keepEpoch?: KeepEpoch
}

/** Which epoch's weights a training run keeps (src/main/training/trainLoop.ts). */
export const KEEP_EPOCHS = ['best-auroc', 'last'] as const
export type KeepEpoch = (typeof KEEP_EPOCHS)[number]

/** Box supervision's localization terms (src/main/training/boxLoss.ts): the softmax mass inside the box, the per-cell fill loss, or both. */
export const BOX_LOSSES = ['mass', 'fill', 'fill+mass'] as const
export type BoxLoss = (typeof BOX_LOSSES)[number]

export const trainingRequestSchema = z
  .object({
    model: modelIdSchema.optional(),
    version: modelVersionSchema.optional(),
    layers: z.enum(TRAIN_LAYERS as [TrainLayers, ...TrainLayers[]]).optional(),
    folds: z.number().int().min(2).max(10).optional(),
    epochs: z.number().int().min(1).max(500).optional(),
    patience: z.number().int().min(1).max(500).optional(),
    loss: z.enum(['bce', 'focal']).optional(),
    balance: z.enum(['weights', 'smote', 'none']).optional(),
    learningRate: z.number().positive().max(10).optional(),
    seed: z.number().int().optional(),
    fresh: z.boolean().optional(),
    boxes: z.boolean().optional(),
    boxWeights: z.array(z.number().min(0).max(100)).min(1).max(8).optional(),
    splitFile: absolutePath.optional(),
    registerIfWorse: z.boolean().optional(),
    labelSmoothing: z.number().min(0).max(0.5).optional(),
    distill: absolutePath.optional(),
    distillWeight: z.number().positive().max(100).optional(),
    mixup: z.number().min(0).max(4).optional(),
    boxLoss: z.enum(BOX_LOSSES).optional(),
    skipLabelsOnly: z.boolean().optional(),
    fillTemperature: z.number().positive().max(20).optional(),
    levelWeight: z.number().min(0).max(100).optional(),
    levelFindings: z.array(z.string().min(1).max(64)).min(1).max(64).optional(),
    blockLrScale: z.number().positive().max(10).optional(),
    boxFindingWeights: z
      .array(z.object({ finding: z.string().min(1).max(64), weight: z.number().min(0).max(100) }).strict())
      .min(1)
      .max(64)
      .optional(),
    keepEpoch: z.enum(KEEP_EPOCHS).optional(),
  })
  .strict() satisfies z.ZodType<TrainingRequest>

export interface ProviderAttempt {
  provider: 'cpu' | 'webgpu' | 'cuda'
  ok: boolean
  reason?: string
}

export interface CaseAnalysis {
  caseId: number
  image: string
  probabilities: Record<string, number>
  heatmaps: Array<{ id: number; finding: string; method: ExplainMethod; width: number; height: number }>
  /** the model's out-of-distribution verdict and the header's flag; null when the model has no check and the header none */
  ood: OodMark | null
}

export interface AnalysisResult {
  model: { id: string; version: string; sha256: string }
  provider: string
  /** Every provider tried, in order, with why the ones before `provider` could not run. */
  providerAttempts: ProviderAttempt[]
  cases: CaseAnalysis[]
  seconds: number
  /** why the model has no out-of-distribution check ("no out-of-distribution check: …"); null when it has one */
  oodUnavailable: string | null
}

export interface EpochReport {
  epoch: number
  loss: number
  valMacroAuroc: number | null
  learningRate: number
  seconds: number
}

/** Grad-CAM against boxes of one finding, scored as `cxr-lens evaluate` does (Otsu mask on the evaluation grid). */
export interface BoxLocalizationFigures {
  cases: number
  boxes: number
  /** mean IoU of the thresholded map with the boxes */
  iouMean: number | null
  /** T(IoBB ≥ 0.25): share of boxes some predicted box covers at IoBB ≥ 0.25 */
  iobb25: number | null
  /** pointing game: the map's maximum inside a box */
  hitRate: number | null
}

export interface BoxLocalizationMeans {
  iouMean: number | null
  iobb25: number | null
  hitRate: number | null
}

/** What box supervision did: the λ tried and chosen, and validation localization beside the parent's and the prior box's. */
export interface TrainLocalization {
  /** the box-loss weight of the new version */
  weight: number
  rule: string
  candidates: Array<{
    weight: number
    valMacroAuroc: number | null
    valIouMean: number | null
    valIobb25: number | null
    eligible: boolean
  }>
  /** cases with at least one box, per part of the split */
  boxedCases: { train: number; val: number; test: number }
  perFinding: Array<{
    finding: string
    child: BoxLocalizationFigures
    parent: BoxLocalizationFigures
    prior: BoxLocalizationFigures | null
  }>
  /** means over the findings with validation boxes (the prior's over those with a prior box) */
  mean: { child: BoxLocalizationMeans; parent: BoxLocalizationMeans; prior: BoxLocalizationMeans | null }
}

export interface TrainResult {
  parent: { id: string; version: string }
  /** the registered version; null while a run below its parent waits for the decision */
  child: { id: string; version: string; sha256: string; dir: string } | null
  /** false: scored below the parent and not registered (run again with registerIfWorse to register it without retraining) */
  registered: boolean
  /** the version name the run has (or will have, once registered) */
  version: string
  /** why it is below its parent (validation macro AUROC, or localization with boxes); null when it is not */
  belowParent: { reasons: string[] } | null
  layers: TrainLayers
  cases: number
  featureSeconds: number
  featuresComputed: number
  /** where the training products ran (the inference chain: cuda, webgpu, cpu), and every provider tried */
  provider: ProviderAttempt['provider']
  providerAttempts: ProviderAttempt[]
  /** the checkpoint this run continued from (null when it started fresh) */
  resumedFrom: { fold: number | null; epoch: number } | null
  split: { train: number; val: number; test: number }
  valMacroAuroc: { child: number | null; parent: number | null }
  testMacroAuroc: { child: number | null; parent: number | null }
  perFinding: Array<{ finding: string; childAuroc: number | null; parentAuroc: number | null; p: number | null }>
  folds: Array<{ fold: number; parentMacroAuroc: number | null; childMacroAuroc: number | null }>
  tTest: { meanDifference: number; t: number; p: number; df: number } | null
  history: EpochReport[]
  /** the epoch whose weights the new version has (the best validation AUROC's, or the last with keepEpoch 'last') */
  keptEpoch: number
  epochSeconds: number[]
  checkpointSeconds: number[]
  /** with boxes: localization on validation boxes and the λ search; null without */
  localization: TrainLocalization | null
}

/** Each job kind: the request schema its start channel validates, and what the job yields. */
export const jobMap = {
  import: { request: importRequestSchema, result: yields<ImportSummary>() },
  importDicom: { request: dicomImportRequestSchema, result: yields<ImportSummary>() },
  pacsPull: { request: pacsPullRequestSchema, result: yields<PacsPullSummary>() },
  analyze: { request: analysisRequestSchema, result: yields<AnalysisResult>() },
  train: { request: trainingRequestSchema, result: yields<TrainResult>() },
} as const satisfies Record<string, { request: z.ZodType; result: unknown }>

export type JobMap = typeof jobMap
export type JobKind = keyof JobMap
export const JOB_KINDS = Object.keys(jobMap) as JobKind[]
export type JobRequestOf<K extends JobKind> = z.output<JobMap[K]['request']>
export type JobResultOf<K extends JobKind> = JobMap[K]['result']

/**
 * A job of one kind. A cancelled or failed import carries the partial summary as its result;
 * the other kinds have none unless they succeeded.
 */
export interface JobStatusOf<K extends JobKind> extends JobProgress {
  kind: K
  state: JobState
  result?: JobResultOf<K>
  error?: string
}

/** Any job: a union discriminated on `kind`, so `status.kind === 'train'` narrows `status.result`. */
export type JobStatus = { [K in JobKind]: JobStatusOf<K> }[JobKind]
