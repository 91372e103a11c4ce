/**
 * Every localization figure of one finding for several "arms" scored on the same radiologist boxes
 * (the model's maps, the fixed prior box, a random map, a second method), with patient-bootstrap 95%
 * intervals for each arm and for the paired differences (the same resampled patients for both arms).
 */
import { bootstrap, groupBy, type BootstrapInterval, type BootstrapOptions } from './bootstrap'
import { IOBB_THRESHOLDS, PAPER_IOBB_THRESHOLDS } from './chestXray8Reference'

export interface ArmScore {
  /** per box: best IoBB under the CXR Lens mask (Otsu or tuned), counted with ≥ */
  best: number[]
  /** per box: best IoBB under the paper's protocol (pooled 60/180 boxes), counted with > */
  paper: number[]
  iou: number
  hit: boolean
}

export interface CaseLocalization {
  patient: string
  arms: Record<string, ArmScore>
}

const meanOf = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null)

/** The figures of one arm over a set of cases: T(IoBB) (≥, CXR Lens), paper T(IoBB) (>), mean IoU, hit rate. */
export function armFigures(scores: ArmScore[]): Record<string, number | null> {
  const best = scores.flatMap((s) => s.best)
  const paper = scores.flatMap((s) => s.paper)
  const out: Record<string, number | null> = {}
  for (const t of IOBB_THRESHOLDS) out[`iobb_${t}`] = best.length ? best.filter((v) => v >= Number(t)).length / best.length : null
  for (const t of PAPER_IOBB_THRESHOLDS)
    out[`paper_iobb_${t}`] = paper.length ? paper.filter((v) => v > Number(t)).length / paper.length : null
  out.iou_mean = meanOf(scores.map((s) => s.iou))
  out.hit_rate = meanOf(scores.map((s) => (s.hit ? 1 : 0)))
  return out
}

export type FigureIntervals = Record<string, BootstrapInterval>

export interface LocalizationIntervals {
  /** patients with boxes of this finding (the bootstrap's unit) */
  patients: number
  resamples: number
  seed: number
  arms: Record<string, FigureIntervals>
  /** `a_minus_b`: paired differences, e.g. model_minus_prior */
  differences: Record<string, FigureIntervals>
}

/**
 * Intervals for every arm and for each pair in `differences` ([a, b] → a − b), on the cases of one
 * finding; a case lacking an arm is skipped for that arm's figures.
 */
export function localizationIntervals(
  cases: CaseLocalization[],
  differences: Array<[string, string]>,
  options: Required<BootstrapOptions>,
): LocalizationIntervals {
  const arms = [...new Set(cases.flatMap((c) => Object.keys(c.arms)))]
  const statistics = (sample: CaseLocalization[]) => {
    const out: Record<string, number | null> = {}
    const figures = new Map(arms.map((arm) => [arm, armFigures(sample.flatMap((c) => (c.arms[arm] ? [c.arms[arm]] : [])))]))
    for (const [arm, f] of figures) for (const [k, v] of Object.entries(f)) out[`${arm}|${k}`] = v
    for (const [a, b] of differences) {
      const fa = figures.get(a)
      const fb = figures.get(b)
      if (!fa || !fb) continue
      for (const k of Object.keys(fa)) out[`${a}_minus_${b}|${k}`] = fa[k] !== null && fb[k] !== null ? fa[k]! - fb[k]! : null
    }
    return out
  }
  const intervals = bootstrap(
    groupBy(cases, (c) => c.patient),
    statistics,
    options,
  )
  const result: LocalizationIntervals = {
    patients: new Set(cases.map((c) => c.patient)).size,
    resamples: options.resamples,
    seed: options.seed,
    arms: {},
    differences: {},
  }
  for (const [key, interval] of Object.entries(intervals)) {
    const [name, figure] = key.split('|')
    const target = name.includes('_minus_') ? result.differences : result.arms
    ;(target[name] ??= {})[figure] = interval
  }
  return result
}
