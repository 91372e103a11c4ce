import { EXPLAIN_METHOD_FACTS, type ExplainMethod } from '../../shared/explainMethods'
import { oodScores, oodVerdict, type OodVerdict } from '../model/oodScore'
import { EVAL_GRID, evaluationGrid } from '../../shared/heatmapGrid'
import { checkMethodSupported, runMethod } from '../explain/methods'
import { blurBackground } from '../analysis/backgrounds'
import type { InferenceEngine } from '../model/inferenceEngine'
import type { ModelPackage } from '../model/modelPackage'
import { inferInBatches } from '../model/batchedInference'
import { BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED } from './bootstrap'

import { aurocBootstrap, MIN_POSITIVES } from './classificationStats'
import { compareExternal } from './compareExternal'
import { runFaithfulness, runSanity } from './evaluateChecks'
import { loadEvaluationSet, type EvaluationCase } from './evaluationData'
import { readExternalPredictions } from './externalPredictions'
import { paperRow, randomMap, scoreArm, toCaseArm, type ScoredArm } from './localizationArms'
import { localizationIntervals, type CaseLocalization } from './localizationStats'
import { scoreHeatmap } from '../../shared/localization'
import type { ClassificationRow, EvaluationReport, LocalizationRow, OodSummary } from './reportTypes'
import { confusionAt, delong } from '../stats/roc'
import { mean } from '../stats/mean'
import { summarize, toGrid } from './localizationSummary'

export interface EvaluateRequest {
  imagesDir: string
  labelsCsv: string
  boxesCsv?: string
  /** Any registry method; those needing a background get the case's blurred image (as the app's default). */
  method: ExplainMethod
  threshold: 'otsu' | 'tuned'
  /** the headline localization table; both are computed (default 'cxrlens') */
  protocol?: 'cxrlens' | 'chestxray8'
  split?: { file: string; name: string }
  /** validation split used to tune per-finding mask thresholds when threshold is 'tuned' */
  tuneSplit?: string
  /** a second method scored on the same cases, with paired bootstrap differences */
  compareMethod?: ExplainMethod
  /** another model's probabilities (Image Index, prob_<Finding>) scored on the same images */
  comparePredictions?: string
  /** deletion/insertion AUC of the method against a random order (forward passes: slower) */
  faithfulness?: boolean
  /** model-parameter randomization on the first N boxed cases */
  sanity?: { images: number }
  bootstrap?: { resamples: number; seed: number }
  onProgress?: (done: number, total: number) => void
}

export { EVAL_GRID }
const TUNE_CANDIDATES = Array.from({ length: 19 }, (_, i) => 0.05 * (i + 1))

export interface CaseOutput {
  c: EvaluationCase
  probabilities: Float32Array
  /** per boxed finding: normalized map on the EVAL_GRID */
  maps: Map<string, Float32Array>
  /** the same for the comparison method, when one is asked for */
  compareMaps?: Map<string, Float32Array>
  /** the model's out-of-distribution verdict, when it has statistics */
  ood: OodVerdict | null
}

async function mapsOf(
  method: ExplainMethod,
  pkg: ModelPackage,
  engine: InferenceEngine,
  tensor: Float32Array,
  features: { data: Float32Array; channels: number; height: number; width: number },
  boxed: string[],
) {
  const cam = await runMethod(method, {
    pkg,
    engine,
    image: tensor,
    options: {},
    features,
    background: EXPLAIN_METHOD_FACTS[method].needsBackground ? blurBackground(engine, pkg, tensor) : null,
  })
  return new Map(
    boxed.map((finding) => [finding, evaluationGrid(cam.maps[pkg.manifest.findings.indexOf(finding)], cam.height, cam.width, method)]),
  )
}

async function runModel(
  pkg: ModelPackage,
  engine: InferenceEngine,
  cases: EvaluationCase[],
  method: ExplainMethod,
  compareMethod?: ExplainMethod,
  onProgress?: (d: number, t: number) => void,
): Promise<CaseOutput[]> {
  const { manifest } = pkg
  const classes = manifest.findings.length
  const out: CaseOutput[] = []
  await inferInBatches(
    engine,
    pkg,
    cases,
    (c) => ({ image: c.path, name: c.image }),
    async ({ items, tensors, result, featureMap }) => {
      for (let i = 0; i < items.length; i++) {
        const c = items[i]
        const boxed = [...c.boxes.keys()].filter((f) => manifest.findings.includes(f))
        const features = featureMap(i)
        const maps = boxed.length ? await mapsOf(method, pkg, engine, tensors[i], features, boxed) : new Map<string, Float32Array>()
        const compareMaps =
          compareMethod && boxed.length ? await mapsOf(compareMethod, pkg, engine, tensors[i], features, boxed) : undefined
        const ood = pkg.ood
          ? oodVerdict(pkg.ood, oodScores(pkg.ood, result.logits.subarray(i * classes, (i + 1) * classes), features))
          : null
        out.push({
          c,
          ood,
          probabilities: result.probabilities.slice(i * classes, (i + 1) * classes),
          maps,
          ...(compareMethod ? { compareMaps: compareMaps ?? new Map() } : {}),
        })
      }
    },
    { batchSize: 16, onProgress },
  )
  return out
}

/** How many evaluated images the check flagged; they stay in every figure (nothing is excluded). */
function oodSummary(pkg: ModelPackage, outputs: CaseOutput[]): OodSummary {
  if (!pkg.ood) return { unavailable: pkg.oodMissing ?? 'no out-of-distribution check', flagged: null, excluded: 0 }
  const flagged = outputs.filter((o) => o.ood?.flagged).map((o) => o.c.image)
  const threshold = pkg.ood.method === 'mahalanobis' ? pkg.ood.mahalanobis.threshold : pkg.ood.energy.threshold
  return {
    method: pkg.ood.method,
    threshold,
    images: outputs.length,
    flagged: flagged.length,
    rate: outputs.length ? flagged.length / outputs.length : 0,
    flagged_images: flagged,
    excluded: 0,
  }
}

/** Per finding, the mask threshold maximizing mean IoU on validation cases. */
function tuneThresholds(outputs: CaseOutput[]): Record<string, number> {
  const tuned: Record<string, number> = {}
  const findings = new Set(outputs.flatMap((o) => [...o.maps.keys()]))
  for (const finding of findings) {
    let best = { t: 0.5, iou: -1 }
    for (const t of TUNE_CANDIDATES) {
      const ious = outputs
        .filter((o) => o.maps.has(finding))
        .map((o) => scoreHeatmap(o.maps.get(finding)!, EVAL_GRID, EVAL_GRID, o.c.boxes.get(finding)!.map(toGrid), t).maskIou)
      const m = mean(ious) ?? 0
      if (m > best.iou) best = { t, iou: m }
    }
    tuned[finding] = best.t
  }
  return tuned
}

const withoutCount = <T extends { n_boxes: number }>({ n_boxes: _n, ...rest }: T) => rest

/**
 * Classification (AUROC with DeLong and patient-bootstrap CIs; F1/precision/recall at the manifest's
 * validation-chosen thresholds) and localization (T(IoBB) under CXR Lens's masks and under the
 * ChestX-ray8 paper's protocol, mask IoU, pointing game) of one model and method on a labelled
 * folder, beside the fixed prior box and a random map scored on the same boxes, every localization
 * figure with a patient-bootstrap interval; optionally a second method, another model's
 * predictions, deletion/insertion faithfulness and the randomization sanity check.
 */
export async function evaluateModel(
  pkg: ModelPackage,
  engine: InferenceEngine,
  request: EvaluateRequest,
): Promise<{ report: EvaluationReport; outputs: CaseOutput[] }> {
  const started = performance.now()
  const { manifest } = pkg
  checkMethodSupported(pkg, request.method)
  if (request.compareMethod) checkMethodSupported(pkg, request.compareMethod)
  const boot = request.bootstrap ?? { resamples: BOOTSTRAP_RESAMPLES, seed: BOOTSTRAP_SEED }
  // read the comparison file before any model pass: a malformed file is refused at once
  const external = request.comparePredictions ? readExternalPredictions(request.comparePredictions) : null
  const set = loadEvaluationSet(request.imagesDir, request.labelsCsv, request.boxesCsv, request.split)
  let tuned: Record<string, number> | undefined
  if (request.threshold === 'tuned') {
    if (!request.split)
      throw new Error(
        '--threshold tuned needs --split-file and --split so thresholds are tuned on validation cases, not the evaluated ones',
      )
    const validation = loadEvaluationSet(request.imagesDir, request.labelsCsv, request.boxesCsv, {
      file: request.split.file,
      name: request.tuneSplit ?? 'val',
    })
    tuned = tuneThresholds(await runModel(pkg, engine, validation.cases, request.method))
  }
  const outputs = await runModel(pkg, engine, set.cases, request.method, request.compareMethod, request.onProgress)
  const classification: Record<string, ClassificationRow | number | null> = {}
  const aurocs: number[] = []
  manifest.findings.forEach((finding, c) => {
    const labels = outputs.map((o) => (o.c.findings.has(finding) ? 1 : 0))
    const scores = outputs.map((o) => o.probabilities[c])
    const auc = delong(scores, labels)
    if (auc) aurocs.push(auc.auc)
    const threshold = manifest.thresholds?.[finding] ?? 0.5
    const { tp, fp, tn, fn, precision, recall, f1 } = confusionAt(scores, labels, threshold)
    const bootstrapCi = auc
      ? aurocBootstrap(
          outputs.map((o, i) => ({ patient: o.c.patient, label: labels[i], scores: [scores[i]] })),
          boot,
        ).ci95
      : null
    classification[finding] = {
      n_pos: tp + fn,
      auroc: auc?.auc ?? null,
      auroc_ci: auc?.ci95 ?? null,
      auroc_ci_bootstrap: bootstrapCi,
      few_positives: tp + fn < MIN_POSITIVES,
      f1,
      precision,
      recall,
      threshold,
      tp,
      fp,
      tn,
      fn,
    }
  })
  classification.macro_auroc = mean(aurocs)

  const [, gridH, gridW] = manifest.outputs.features.shape
  const localization: Record<string, LocalizationRow> = {}
  const prior: Record<string, Omit<LocalizationRow, 'n_boxes'>> = {}
  const random: NonNullable<EvaluationReport['localization_random']> = {}
  const paper: NonNullable<EvaluationReport['localization_chestxray8']> = {}
  const paperPrior: NonNullable<EvaluationReport['localization_chestxray8_prior']> = {}
  const paperRandom: NonNullable<EvaluationReport['localization_chestxray8_random']> = {}
  const intervals: NonNullable<EvaluationReport['localization_ci']> = {}
  const boxedFindings = manifest.findings.filter((f) => outputs.some((o) => o.maps.has(f)))
  for (const finding of boxedFindings) {
    const fi = manifest.findings.indexOf(finding)
    const withBoxes = outputs.filter((o) => o.maps.has(finding))
    const box = manifest.localizationPrior?.[finding]
    const arms: Record<string, ScoredArm[]> = {
      model: [],
      random: [],
      ...(box ? { prior: [] } : {}),
      ...(request.compareMethod ? { compare: [] } : {}),
    }
    const perCase: CaseLocalization[] = withBoxes.map((o, k) => {
      const truth = o.c.boxes.get(finding)!.map(toGrid)
      const threshold = tuned?.[finding]
      const scored: Record<string, ScoredArm> = {
        model: scoreArm({ map: o.maps.get(finding)!, threshold }, truth),
        // seeded by case and finding so a rerun draws the same random maps
        random: scoreArm({ map: randomMap(gridH, gridW, boot.seed + 7919 * k + fi), threshold }, truth),
      }
      if (box) scored.prior = scoreArm({ box: toGrid(box) }, truth)
      if (request.compareMethod) scored.compare = scoreArm({ map: o.compareMaps!.get(finding)! }, truth)
      for (const [arm, s] of Object.entries(scored)) arms[arm].push(s)
      return { patient: o.c.patient, arms: Object.fromEntries(Object.entries(scored).map(([arm, s]) => [arm, toCaseArm(s)])) }
    })
    localization[finding] = summarize(arms.model.map((s) => s.lens))
    random[finding] = withoutCount(summarize(arms.random.map((s) => s.lens)))
    paper[finding] = paperRow(arms.model.map((s) => s.paper))
    paperRandom[finding] = withoutCount(paperRow(arms.random.map((s) => s.paper)))
    if (box) {
      prior[finding] = withoutCount(summarize(arms.prior.map((s) => s.lens)))
      paperPrior[finding] = withoutCount(paperRow(arms.prior.map((s) => s.paper)))
    }
    const differences: Array<[string, string]> = [
      ['model', 'random'],
      ...(box ? [['model', 'prior'] as [string, string]] : []),
      ...(request.compareMethod ? [['model', 'compare'] as [string, string]] : []),
    ]
    intervals[finding] = localizationIntervals(perCase, differences, boot)
  }
  const notBeating = Object.keys(prior).filter((f) => (localization[f].iou_mean ?? 0) <= (prior[f].iou_mean ?? 0))
  const comparison = external ? compareExternal(external, outputs, manifest.findings, boot) : undefined
  const faithfulness = request.faithfulness ? await runFaithfulness(pkg, engine, outputs, request.method, boot) : undefined
  const sanity = request.sanity ? await runSanity(pkg, engine, outputs, request.method, request.sanity.images) : undefined
  const flags = [
    ...(faithfulness?.failing.length
      ? [
          `${request.method} fails faithfulness (deletion or insertion no better than a random map's order) for ${faithfulness.failing.join(', ')}`,
        ]
      : []),
    ...(sanity?.fails
      ? [
          `${request.method} fails the model-parameter randomization check: ${Object.entries(sanity.verdict)
            .filter(([, v]) => v?.fails)
            .map(([layers, v]) => `${layers} (${v!.reasons.join('; ')})`)
            .join(', ')}`,
        ]
      : []),
  ]
  const { provider } = await engine.session(pkg)
  return {
    report: {
      model: { id: manifest.id, version: manifest.version, sha256: manifest.sha256 },
      images: outputs.length,
      method: request.method,
      threshold: request.threshold,
      protocol: request.protocol ?? 'cxrlens',
      provider,
      classification: classification as EvaluationReport['classification'],
      localization,
      localization_prior: prior,
      localization_random: random,
      localization_chestxray8: paper,
      localization_chestxray8_prior: paperPrior,
      localization_chestxray8_random: paperRandom,
      localization_ci: intervals,
      bootstrap: { unit: 'patient', resamples: boot.resamples, seed: boot.seed, interval: 'percentile 95%' },
      not_beating_prior: notBeating,
      ...(tuned ? { tuned_thresholds: tuned } : {}),
      ...(request.compareMethod ? { compare_method: request.compareMethod } : {}),
      ...(comparison ? { compare_predictions: comparison } : {}),
      ...(faithfulness ? { faithfulness } : {}),
      ...(sanity ? { sanity } : {}),
      explanation_flags: flags,
      ood: oodSummary(pkg, outputs),
      seconds: (performance.now() - started) / 1000,
    },
    outputs,
  }
}
