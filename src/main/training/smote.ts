import { trainingProducts, type Products } from '../model/matmulKernel'
import { seededRandom } from '../../shared/random'
import type { RowSet } from './rowSet'

/**
 * SMOTE in feature space (Chawla et al. 2002), per finding: a synthetic positive lies on the segment
 * between a real positive of that finding and one of its k nearest positive neighbours (Euclidean,
 * in the rows' own space), at a uniform random gap. Multi-label: the other findings take the labels of
 * the nearer endpoint. Neighbours come from one Gram matrix on ORT's Gemm kernel.
 */
export interface SyntheticRow {
  ref: { a: number; b: number; gap: number }
  labels: Uint8Array
  finding: number
}

/** Indices of each positive's k nearest other positives (ties by position). */
async function nearestNeighbours(set: RowSet, positives: number[], k: number, products: Products): Promise<number[][]> {
  const p = positives.length
  const x = set.gather(positives)
  const gram = await products.gemm({ data: x, rows: p, cols: set.D }, { data: x, rows: p, cols: set.D, transpose: true })
  return positives.map((_, i) => {
    const others = positives.map((_, j) => j).filter((j) => j !== i)
    const d2 = (j: number) => gram[i * p + i] + gram[j * p + j] - 2 * gram[i * p + j]
    return others.map((j) => ({ j, d: d2(j) })).sort((u, v) => u.d - v.d || u.j - v.j).slice(0, k).map((e) => e.j)
  })
}

/**
 * `counts[c]` synthetic rows for finding c, from the real rows of `set` (references into its matrix).
 * Deterministic for a seed. A finding asked for rows but with fewer than two positives is an error.
 */
export async function smote(set: RowSet, counts: number[], options: { k: number; seed: number; findings?: string[]; products?: Products },
): Promise<SyntheticRow[]> {
  const C = set.classes
  const out: SyntheticRow[] = []
  for (let c = 0; c < C; c++) {
    const count = counts[c] ?? 0
    if (count <= 0) continue
    const positives = set.refs.flatMap((ref, i) => (typeof ref === 'number' && set.labels[i * C + c] ? [i] : []))
    if (positives.length < 2) throw new Error(`SMOTE: ${options.findings?.[c] ?? `finding ${c}`} has ${positives.length} positive training case(s); it needs at least 2`)
    const neighbours = await nearestNeighbours(set, positives, Math.min(options.k, positives.length - 1), options.products ?? trainingProducts)
    const random = seededRandom((options.seed * 7919 + c * 104729) | 0)
    // Every positive serves as a base equally often (a fresh shuffled pass each cycle), as in SMOTE.
    let cycle: number[] = []
    for (let s = 0; s < count; s++) {
      if (cycle.length === 0) {
        cycle = positives.map((_, i) => i)
        for (let i = cycle.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1))
          ;[cycle[i], cycle[j]] = [cycle[j], cycle[i]]
        }
      }
      const base = cycle.pop()!
      const list = neighbours[base]
      const other = list[Math.floor(random() * list.length)]
      const gap = random()
      const a = set.refs[positives[base]] as number
      const b = set.refs[positives[other]] as number
      const nearer = gap < 0.5 ? positives[base] : positives[other]
      const labels = Uint8Array.from(set.labels.subarray(nearer * C, (nearer + 1) * C))
      labels[c] = 1
      out.push({ ref: { a, b, gap }, labels, finding: c })
    }
  }
  return out
}

/**
 * How many synthetic rows each finding gets: its training positives are topped up to `ratio` of its
 * negatives, never beyond 5× the real positives (a handful of cases cannot stand for hundreds).
 */
export function smoteCounts(set: RowSet, ratio: number): number[] {
  const C = set.classes
  return Array.from({ length: C }, (_, c) => {
    let pos = 0
    for (let i = 0; i < set.n; i++) pos += set.labels[i * C + c]
    if (pos < 2) return 0
    return Math.max(0, Math.min(Math.ceil(ratio * (set.n - pos)), 5 * pos) - pos)
  })
}
