/**
 * AUROC intervals that stay honest with few positives, and paired comparisons of two score sets on
 * the same cases. DeLong's normal interval assumes enough positives for its variance to be estimated;
 * with 4 positives it is wide and symmetric where the truth is neither, so a patient bootstrap
 * (percentile) interval is reported beside it and findings under MIN_POSITIVES are flagged.
 */
import { bootstrap, groupBy, type BootstrapInterval, type BootstrapOptions } from './bootstrap'
import { delongPaired } from '../stats/roc'

export const MIN_POSITIVES = 10

/** Mann–Whitney AUROC by ranks (ties count half), O(n log n); null when a class is absent. */
export function aurocOf(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  const n = scores.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b])
  let positives = 0
  let rankSum = 0
  for (let start = 0; start < n;) {
    let end = start + 1
    while (end < n && scores[order[end]] === scores[order[start]]) end++
    const rank = (start + end + 1) / 2
    for (let i = start; i < end; i++)
      if (labels[order[i]]) {
        positives++
        rankSum += rank
      }
    start = end
  }
  const negatives = n - positives
  if (positives === 0 || negatives === 0) return null
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives)
}

export interface ScoredCase {
  patient: string
  label: number
  /** one score per compared source (e.g. [model] or [model, external]) */
  scores: number[]
}

/** Patient-bootstrap percentile interval of the AUROC of source 0. */
export function aurocBootstrap(cases: ScoredCase[], options: Required<BootstrapOptions>): BootstrapInterval {
  const stat = (sample: ScoredCase[]) => ({
    auroc: aurocOf(
      sample.map((c) => c.scores[0]),
      sample.map((c) => c.label),
    ),
  })
  return bootstrap(
    groupBy(cases, (c) => c.patient),
    stat,
    options,
  ).auroc
}

export interface PairedAuroc {
  n_pos: number
  few_positives: boolean
  auroc_a: number | null
  auroc_b: number | null
  difference: number | null
  /** DeLong's test for correlated AUROCs (DeLong et al. 1988) */
  delong_z: number | null
  delong_p: number | null
  /** patient bootstrap of a − b on the same resampled patients */
  difference_ci95: [number, number] | null
}

/** Source 0 against source 1 on the same cases. */
export function comparePairedAuroc(cases: ScoredCase[], options: Required<BootstrapOptions>): PairedAuroc {
  const labels = cases.map((c) => c.label)
  const a = cases.map((c) => c.scores[0])
  const b = cases.map((c) => c.scores[1])
  const d = delongPaired(a, b, labels)
  const nPos = labels.filter(Boolean).length
  const stat = (sample: ScoredCase[]) => {
    const l = sample.map((c) => c.label)
    const x = aurocOf(
      sample.map((c) => c.scores[0]),
      l,
    )
    const y = aurocOf(
      sample.map((c) => c.scores[1]),
      l,
    )
    return { difference: x !== null && y !== null ? x - y : null }
  }
  const boot = bootstrap(
    groupBy(cases, (c) => c.patient),
    stat,
    options,
  ).difference
  return {
    n_pos: nPos,
    few_positives: nPos < MIN_POSITIVES,
    auroc_a: d?.aucA ?? null,
    auroc_b: d?.aucB ?? null,
    difference: d?.difference ?? null,
    delong_z: d?.z ?? null,
    delong_p: d?.p ?? null,
    difference_ci95: boot.ci95,
  }
}
