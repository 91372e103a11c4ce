/**
 * Classification statistics on scores and binary labels: AUROC (Mann–Whitney, ties counted half)
 * with DeLong's variance (DeLong, DeLong & Clarke-Pearson 1988) for 95% CIs and paired tests, ROC
 * curve points, and confusion counts at a threshold.
 */
export interface DelongResult {
  auc: number
  variance: number
  ci95: [number, number]
}

/** DeLong's structural components: V10 per positive, V01 per negative. */
function components(scores: ArrayLike<number>, labels: ArrayLike<number>) {
  const pos: number[] = []
  const neg: number[] = []
  for (let i = 0; i < labels.length; i++) (labels[i] ? pos : neg).push(scores[i])
  if (pos.length === 0 || neg.length === 0) return null
  const v10 = pos.map((p) => neg.reduce((s, n) => s + (p > n ? 1 : p === n ? 0.5 : 0), 0) / neg.length)
  const v01 = neg.map((n) => pos.reduce((s, p) => s + (p > n ? 1 : p === n ? 0.5 : 0), 0) / pos.length)
  const auc = v10.reduce((a, b) => a + b, 0) / pos.length
  return { auc, v10, v01 }
}

function sampleCovariance(a: number[], b: number[]): number {
  if (a.length < 2) return 0
  const ma = a.reduce((s, v) => s + v, 0) / a.length
  const mb = b.reduce((s, v) => s + v, 0) / b.length
  let s = 0
  for (let i = 0; i < a.length; i++) s += (a[i] - ma) * (b[i] - mb)
  return s / (a.length - 1)
}

/** AUROC with DeLong's 95% CI; null when a class is absent. */
export function delong(scores: ArrayLike<number>, labels: ArrayLike<number>): DelongResult | null {
  const c = components(scores, labels)
  if (!c) return null
  const variance = sampleCovariance(c.v10, c.v10) / c.v10.length + sampleCovariance(c.v01, c.v01) / c.v01.length
  const half = 1.959964 * Math.sqrt(variance)
  return { auc: c.auc, variance, ci95: [Math.max(0, c.auc - half), Math.min(1, c.auc + half)] }
}

/** Two-sided p-value of the standard normal. */
export function normalTwoSidedP(z: number): number {
  // Abramowitz–Stegun 7.1.26 erfc approximation (|error| < 1.5e-7).
  const x = Math.abs(z) / Math.SQRT2
  const t = 1 / (1 + 0.3275911 * x)
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x)
  return Math.min(1, erfc)
}

/** DeLong's test for two correlated AUROCs on the same cases (e.g. two model versions). */
export function delongPaired(scoresA: ArrayLike<number>, scoresB: ArrayLike<number>, labels: ArrayLike<number>) {
  const a = components(scoresA, labels)
  const b = components(scoresB, labels)
  if (!a || !b) return null
  const m = a.v10.length
  const n = a.v01.length
  const varA = sampleCovariance(a.v10, a.v10) / m + sampleCovariance(a.v01, a.v01) / n
  const varB = sampleCovariance(b.v10, b.v10) / m + sampleCovariance(b.v01, b.v01) / n
  const cov = sampleCovariance(a.v10, b.v10) / m + sampleCovariance(a.v01, b.v01) / n
  const se = Math.sqrt(Math.max(0, varA + varB - 2 * cov))
  const z = se > 0 ? (a.auc - b.auc) / se : 0
  return { aucA: a.auc, aucB: b.auc, difference: a.auc - b.auc, z, p: se > 0 ? normalTwoSidedP(z) : 1 }
}

/** ROC points (false-positive rate, true-positive rate) from the highest threshold down. */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): Array<[number, number]> {
  const order = Array.from(scores, (s, i) => [s, labels[i]] as const).sort((x, y) => y[0] - x[0])
  const positives = order.filter(([, l]) => l).length
  const negatives = order.length - positives
  const points: Array<[number, number]> = [[0, 0]]
  let tp = 0
  let fp = 0
  for (let i = 0; i < order.length; i++) {
    if (order[i][1]) tp++
    else fp++
    if (i === order.length - 1 || order[i + 1][0] !== order[i][0])
      points.push([negatives ? fp / negatives : 0, positives ? tp / positives : 0])
  }
  return points
}

export interface Confusion {
  tp: number
  fp: number
  tn: number
  fn: number
  precision: number | null
  recall: number | null
  f1: number | null
}

export function confusionAt(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): Confusion {
  let tp = 0,
    fp = 0,
    tn = 0,
    fn = 0
  for (let i = 0; i < labels.length; i++) {
    const predicted = scores[i] >= threshold
    if (labels[i]) {
      if (predicted) tp++
      else fn++
    } else if (predicted) fp++
    else tn++
  }
  const precision = tp + fp ? tp / (tp + fp) : null
  const recall = tp + fn ? tp / (tp + fn) : null
  const f1 =
    precision !== null && recall !== null && precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : tp + fn ? 0 : null
  return { tp, fp, tn, fn, precision, recall, f1 }
}

/** The threshold maximizing F1 on (validation) data: candidates are the observed scores. */
export function bestF1Threshold(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let best = { threshold: 0.5, f1: -1 }
  for (const t of new Set(Array.from(scores))) {
    const f1 = confusionAt(scores, labels, t).f1 ?? 0
    if (f1 > best.f1) best = { threshold: t, f1 }
  }
  return best.threshold
}
