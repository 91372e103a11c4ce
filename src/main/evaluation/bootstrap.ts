/**
 * Patient-level bootstrap: cases are grouped by patient and whole patients are resampled with
 * replacement (several images of one patient are not independent evidence), seeded so a report can
 * be reproduced. Percentile 95% intervals of any vector of statistics computed on each resample.
 */
import { seededRandom } from '../../shared/random'

export const BOOTSTRAP_RESAMPLES = 1000
export const BOOTSTRAP_SEED = 20170717

export interface BootstrapOptions {
  resamples?: number
  seed?: number
}

export interface BootstrapInterval {
  /** the statistic on the cases as they are */
  estimate: number | null
  /** percentile 2.5 % and 97.5 % over resamples where the statistic is defined; null when none is */
  ci95: [number, number] | null
  /** resamples where the statistic was defined (a resample without positives has no AUROC) */
  valid: number
}

/** Linear-interpolated quantile of sorted values (numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const at = p * (sorted.length - 1)
  const lo = Math.floor(at)
  const hi = Math.min(sorted.length - 1, lo + 1)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo)
}

export function groupBy<T>(items: T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>()
  for (const item of items) {
    const k = key(item)
    const list = groups.get(k)
    if (list) list.push(item)
    else groups.set(k, [item])
  }
  return [...groups.values()]
}

/**
 * `statistics(cases)` returns named values (null where undefined); each gets its estimate on all
 * groups and its percentile interval over `resamples` draws of groups.length groups with replacement.
 */
export function bootstrap<T>(
  groups: T[][],
  statistics: (cases: T[]) => Record<string, number | null>,
  options: BootstrapOptions = {},
): Record<string, BootstrapInterval> {
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES
  if (!Number.isInteger(resamples) || resamples < 1) throw new Error(`bootstrap resamples must be a positive integer, got ${resamples}`)
  const random = seededRandom(options.seed ?? BOOTSTRAP_SEED)
  const estimate = statistics(groups.flat())
  const draws = new Map<string, number[]>(Object.keys(estimate).map((k) => [k, []]))
  for (let r = 0; r < resamples && groups.length; r++) {
    const cases: T[] = []
    for (let i = 0; i < groups.length; i++) cases.push(...groups[Math.floor(random() * groups.length)])
    for (const [k, v] of Object.entries(statistics(cases))) if (v !== null && Number.isFinite(v)) draws.get(k)?.push(v)
  }
  const out: Record<string, BootstrapInterval> = {}
  for (const [k, values] of draws) {
    const sorted = Float64Array.from(values).sort()
    out[k] = {
      estimate: estimate[k],
      ci95: sorted.length ? [quantileSorted(sorted, 0.025), quantileSorted(sorted, 0.975)] : null,
      valid: sorted.length,
    }
  }
  return out
}

/** The patient of an NIH image: the Patient ID column when present, else the name's prefix (00000001_000.png → 00000001). */
export function patientOf(image: string, patientId: string | null | undefined): string {
  return patientId || image.split('_')[0]
}
