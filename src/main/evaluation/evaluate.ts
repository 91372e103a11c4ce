import { EXPLAIN_METHOD_FACTS, type ExplainMethod } from '../../shared/explainMethods'
import { EVAL_GRID, evaluationGrid } from '../../shared/heatmapGrid'
import { checkMethodSupported, runMethod } from '../explain/methods'
import { blurBackground } from '../analysis/backgrounds'
import type { InferenceEngine } from '../model/inferenceEngine'
import type { ModelPackage } from '../model/modelPackage'
import { preprocessImage } from '../model/preprocess'
import { loadEvaluationSet, type EvaluationCase } from './evaluationData'
import { otsuThreshold, scoreFixedBox, scoreHeatmap } from '../../shared/localization'
import type { ClassificationRow, EvaluationReport, LocalizationRow } from './reportTypes'
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
  split?: { file: string; name: string }
  /** validation split used to tune per-finding mask thresholds when threshold is 'tuned' */
  tuneSplit?: string
  onProgress?: (done: number, total: number) => void
}

export { EVAL_GRID }
const TUNE_CANDIDATES = Array.from({ length: 19 }, (_, i) => 0.05 * (i + 1))

export interface CaseOutput {
  c: EvaluationCase
  probabilities: Float32Array
  /** per boxed finding: normalized map on the EVAL_GRID */
  maps: Map<string, Float32Array>
}

async function runModel(pkg: ModelPackage, engine: InferenceEngine, cases: EvaluationCase[], method: ExplainMethod, onProgress?: (d: number, t: number) => void): Promise<CaseOutput[]> {
  const { manifest } = pkg
  const [K, h, w] = manifest.outputs.features.shape
  const classes = manifest.findings.length
  const out: CaseOutput[] = []
  for (let start = 0; start < cases.length; start += 16) {
    const chunk = cases.slice(start, start + 16)
    const tensors = await Promise.all(chunk.map((c) => preprocessImage(c.path, manifest, c.image)))
    const batch = new Float32Array(tensors[0].length * tensors.length)
    tensors.forEach((t, i) => batch.set(t, i * t.length))
    const result = await engine.run(pkg, batch, tensors.length)
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]
      const maps = new Map<string, Float32Array>()
      const boxed = [...c.boxes.keys()].filter((f) => manifest.findings.includes(f))
      if (boxed.length) {
        const cam = await runMethod(method, {
          pkg, engine, image: tensors[i], options: {},
          features: { data: result.features.subarray(i * K * h * w, (i + 1) * K * h * w), channels: K, height: h, width: w },
          background: EXPLAIN_METHOD_FACTS[method].needsBackground ? blurBackground(engine, pkg, tensors[i]) : null,
        })
        for (const finding of boxed) {
          const map = cam.maps[manifest.findings.indexOf(finding)]
          maps.set(finding, evaluationGrid(map, cam.height, cam.width, method))
        }
      }
      out.push({ c, probabilities: result.probabilities.slice(i * classes, (i + 1) * classes), maps })
    }
    onProgress?.(out.length, cases.length)
  }
  return out
}

/** Per finding, the mask threshold maximizing mean IoU on validation cases. */
function tuneThresholds(outputs: CaseOutput[]): Record<string, number> {
  const tuned: Record<string, number> = {}
  const findings = new Set(outputs.flatMap((o) => [...o.maps.keys()]))
  for (const finding of findings) {
    let best = { t: 0.5, iou: -1 }
    for (const t of TUNE_CANDIDATES) {
      const ious = outputs.filter((o) => o.maps.has(finding)).map((o) => scoreHeatmap(o.maps.get(finding)!, EVAL_GRID, EVAL_GRID, o.c.boxes.get(finding)!.map(toGrid), t).maskIou)
      const m = mean(ious) ?? 0
      if (m > best.iou) best = { t, iou: m }
    }
    tuned[finding] = best.t
  }
  return tuned
}

/**
 * Classification (AUROC with DeLong CI; F1/precision/recall at the manifest's validation-chosen
 * thresholds) and localization (T(IoBB), mask IoU, pointing game) of one model and method on a
 * labelled folder, with the fixed-box prior scored on the same images.
 */
export async function evaluateModel(pkg: ModelPackage, engine: InferenceEngine, request: EvaluateRequest): Promise<{ report: EvaluationReport; outputs: CaseOutput[] }> {
  const started = performance.now()
  const { manifest } = pkg
  checkMethodSupported(pkg, request.method)
  const set = loadEvaluationSet(request.imagesDir, request.labelsCsv, request.boxesCsv, request.split)
  let tuned: Record<string, number> | undefined
  if (request.threshold === 'tuned') {
    if (!request.split) throw new Error('--threshold tuned needs --split-file and --split so thresholds are tuned on validation cases, not the evaluated ones')
    const validation = loadEvaluationSet(request.imagesDir, request.labelsCsv, request.boxesCsv, { file: request.split.file, name: request.tuneSplit ?? 'val' })
    tuned = tuneThresholds(await runModel(pkg, engine, validation.cases, request.method))
  }
  const outputs = await runModel(pkg, engine, set.cases, request.method, request.onProgress)
  const classification: Record<string, ClassificationRow | number | null> = {}
  const aurocs: number[] = []
  manifest.findings.forEach((finding, c) => {
    const labels = outputs.map((o) => (o.c.findings.has(finding) ? 1 : 0))
    const scores = outputs.map((o) => o.probabilities[c])
    const auc = delong(scores, labels)
    if (auc) aurocs.push(auc.auc)
    const threshold = manifest.thresholds?.[finding] ?? 0.5
    const { tp, fp, tn, fn, precision, recall, f1 } = confusionAt(scores, labels, threshold)
    classification[finding] = { n_pos: tp + fn, auroc: auc?.auc ?? null, auroc_ci: auc?.ci95 ?? null, f1, precision, recall, threshold, tp, fp, tn, fn }
  })
  classification.macro_auroc = mean(aurocs)

  const localization: Record<string, LocalizationRow> = {}
  const prior: Record<string, Omit<LocalizationRow, 'n_boxes'>> = {}
  const boxedFindings = manifest.findings.filter((f) => outputs.some((o) => o.maps.has(f)))
  for (const finding of boxedFindings) {
    const withBoxes = outputs.filter((o) => o.maps.has(finding))
    localization[finding] = summarize(withBoxes.map((o) => {
      const map = o.maps.get(finding)!
      return scoreHeatmap(map, EVAL_GRID, EVAL_GRID, o.c.boxes.get(finding)!.map(toGrid), tuned?.[finding] ?? otsuThreshold(map))
    }))
    const box = manifest.localizationPrior?.[finding]
    if (box) {
      const { n_boxes: _n, ...rest } = summarize(withBoxes.map((o) => scoreFixedBox(toGrid(box), EVAL_GRID, EVAL_GRID, o.c.boxes.get(finding)!.map(toGrid))))
      prior[finding] = rest
    }
  }
  const notBeating = Object.keys(prior).filter((f) => (localization[f].iou_mean ?? 0) <= (prior[f].iou_mean ?? 0))
  const { provider } = await engine.session(pkg)
  return {
    report: {
      model: { id: manifest.id, version: manifest.version, sha256: manifest.sha256 }, images: outputs.length, method: request.method,
      threshold: request.threshold, provider, classification: classification as EvaluationReport['classification'], localization,
      localization_prior: prior, not_beating_prior: notBeating, ...(tuned ? { tuned_thresholds: tuned } : {}),
      seconds: (performance.now() - started) / 1000,
    },
    outputs,
  }
}
