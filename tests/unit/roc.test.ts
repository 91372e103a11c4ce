import { describe, expect, it } from 'vitest'
import { bestF1Threshold, confusionAt, delong, delongPaired, rocCurve } from '../../src/main/stats/roc'

describe('AUROC and DeLong', () => {
  // Hanley & McNeil (1982) style check: AUROC equals the Mann–Whitney probability with ties as ½.
  it('computes AUROC with ties counted half', () => {
    expect(delong([0.9, 0.8, 0.7, 0.7, 0.2], [1, 1, 0, 1, 0])!.auc).toBeCloseTo((2 + 2 + 1.5) / 6, 12)
    expect(delong([0.1, 0.2], [1, 1])).toBeNull()
  })

  it('matches the DeLong variance computed by hand on a small example', () => {
    // positives 0.8, 0.6, 0.4; negatives 0.5, 0.3
    const r = delong([0.8, 0.6, 0.4, 0.5, 0.3], [1, 1, 1, 0, 0])!
    // V10 = [1, 1, 0.5], V01 = [2/3, 1]; S10 = var(V10) = 1/12, S01 = var(V01) = 1/18
    expect(r.auc).toBeCloseTo(5 / 6, 12)
    expect(r.variance).toBeCloseTo(1 / 12 / 3 + 1 / 18 / 2, 12)
    expect(r.ci95[1]).toBeLessThanOrEqual(1)
  })

  it('tests two correlated AUROCs: identical scores give p = 1, a much better model a small p', () => {
    const labels = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 1 : 0))
    const good = labels.map((l, i) => l + Math.sin(i * 12.9898) * 0.4)
    const poor = labels.map((l, i) => l * 0.15 + Math.sin(i * 78.233) * 0.5)
    expect(delongPaired(good, good, labels)!.p).toBe(1)
    const test = delongPaired(good, poor, labels)!
    expect(test.difference).toBeGreaterThan(0)
    expect(test.p).toBeLessThan(0.001)
  })

  it('draws the ROC from (0,0) to (1,1)', () => {
    const points = rocCurve([0.9, 0.8, 0.7, 0.1], [1, 0, 1, 0])
    expect(points[0]).toEqual([0, 0])
    expect(points.at(-1)).toEqual([1, 1])
    expect(points).toContainEqual([0, 0.5])
  })

  it('counts a confusion matrix and picks the F1-optimal threshold', () => {
    const scores = [0.9, 0.8, 0.6, 0.4, 0.3]
    const labels = [1, 0, 1, 1, 0]
    expect(confusionAt(scores, labels, 0.5)).toMatchObject({ tp: 2, fp: 1, tn: 1, fn: 1 })
    expect(bestF1Threshold(scores, labels)).toBe(0.4) // tp 3, fp 1: F1 6/7
  })
})
