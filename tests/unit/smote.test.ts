import { describe, expect, it } from 'vitest'
import { RowSet, rowSet } from '../../src/main/training/rowSet'
import { smote, smoteCounts } from '../../src/main/training/smote'
import { seededRandom } from '../../src/shared/random'

const D = 7
const C = 3

/** 60 real rows; finding 0 common, finding 1 rare (5 positives), finding 2 with a single positive. */
function dataset(): RowSet {
  const random = seededRandom(5)
  const rows = 60
  const matrix = Float32Array.from({ length: rows * D }, () => random() * 10 - 5)
  const labels = (r: number) => Uint8Array.of(r % 3 === 0 ? 1 : 0, r % 12 === 1 ? 1 : 0, r === 7 ? 1 : 0)
  // The set refers to rows out of order, as a split does.
  return rowSet(
    matrix,
    D,
    Array.from({ length: rows }, (_, i) => (i * 17) % rows),
    labels,
    C,
  )
}

const distance = (m: Float32Array, a: number, b: number) => Math.hypot(...Array.from({ length: D }, (_, d) => m[a * D + d] - m[b * D + d]))

describe('SMOTE in feature space', () => {
  it('makes exactly the requested number of points per finding, each on a segment between a real positive and one of its k nearest positive neighbours', async () => {
    const set = dataset()
    const k = 3
    const synthetic = await smote(set, [25, 12, 0], { k, seed: 9 })
    expect(synthetic.filter((s) => s.finding === 0)).toHaveLength(25)
    expect(synthetic.filter((s) => s.finding === 1)).toHaveLength(12)
    expect(synthetic.filter((s) => s.finding === 2)).toHaveLength(0)

    const grown = set.withSynthetic(synthetic)
    expect(grown.n).toBe(set.n + 37)
    const points = grown.gather(synthetic.map((_, i) => set.n + i))
    const positiveRows = (c: number) => set.refs.filter((_, i) => set.labels[i * C + c] === 1) as number[]
    synthetic.forEach((s, i) => {
      const { a, b } = s.ref
      const positives = positiveRows(s.finding)
      expect(positives).toContain(a)
      expect(positives).toContain(b)
      expect(a).not.toBe(b)
      // b is among a's k nearest positives of this finding (by brute force here).
      const ranked = positives.filter((p) => p !== a).sort((u, v) => distance(set.matrix, a, u) - distance(set.matrix, a, v))
      expect(distance(set.matrix, a, b)).toBeLessThanOrEqual(distance(set.matrix, a, ranked[k - 1]) + 1e-4)
      // The materialized point p satisfies p = a + t(b − a) with t in [0, 1], recovered from p alone.
      const p = points.subarray(i * D, (i + 1) * D)
      let num = 0,
        den = 0
      for (let d = 0; d < D; d++) {
        const ab = set.matrix[b * D + d] - set.matrix[a * D + d]
        num += (p[d] - set.matrix[a * D + d]) * ab
        den += ab * ab
      }
      const t = num / den
      expect(t).toBeGreaterThanOrEqual(-1e-6)
      expect(t).toBeLessThanOrEqual(1 + 1e-6)
      for (let d = 0; d < D; d++) expect(p[d]).toBeCloseTo(set.matrix[a * D + d] + t * (set.matrix[b * D + d] - set.matrix[a * D + d]), 4)
      expect(grown.labels[(set.n + i) * C + s.finding]).toBe(1)
    })
    // Every positive serves as a base: 25 points over 20 positives of finding 0 use each at least once.
    expect(new Set(synthetic.filter((s) => s.finding === 0).map((s) => s.ref.a)).size).toBe(positiveRows(0).length)
  })

  it('is deterministic per seed and differs between seeds', async () => {
    const set = dataset()
    const a = await smote(set, [10, 10, 0], { k: 4, seed: 1 })
    const b = await smote(set, [10, 10, 0], { k: 4, seed: 1 })
    const c = await smote(set, [10, 10, 0], { k: 4, seed: 2 })
    expect(b).toEqual(a)
    expect(c).not.toEqual(a)
  })

  it('refuses a finding with fewer than two positives, by name', async () => {
    await expect(smote(dataset(), [0, 0, 3], { k: 5, seed: 1, findings: ['A', 'B', 'Hernia'] })).rejects.toThrow(
      /Hernia has 1 positive training case\(s\); it needs at least 2/,
    )
  })

  it('tops positives up to the ratio of negatives, at most 5× the real positives, none for a single positive', () => {
    const set = dataset()
    // finding 0: 20 positives, 40 negatives → 0.75·40 = 30 → 10 more; finding 1: 5 positives → min(42, 25) − 5 = 20.
    expect(smoteCounts(set, 0.75)).toEqual([10, 20, 0])
    // finding 0 already above 0.1 of its negatives; finding 1: ⌈0.1·55⌉ = 6 → 1 more.
    expect(smoteCounts(set, 0.1)).toEqual([0, 1, 0])
  })
})
