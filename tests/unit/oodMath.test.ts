import { describe, expect, it } from 'vitest'
import {
  covarianceFacts,
  covarianceOf,
  fitMahalanobis,
  flaggedRate,
  ledoitWolfShrinkage,
  passThreshold,
  symmetricEigen,
  topEigen,
  matrixProduct,
} from '../../src/main/model/oodFit'
import { jointEnergy, mahalanobisDistance, oodVerdict } from '../../src/main/model/oodScore'
import type { OodStats } from '../../src/main/model/oodStats'

/** The out-of-distribution maths against cases small enough to compute by hand. */
describe('out-of-distribution scores', () => {
  it('Mahalanobis: kept directions by their variances, the rest by the residual variance', () => {
    // μ = (1, 2), V = [(1, 0)], λ = 4, σ² = 9; x = (3, 5): x − μ = (2, 3), z = 2,
    // d² = 2²/4 + (2² + 3² − 2²)/9 = 1 + 1 = 2.
    const stats = {
      dims: 2,
      k: 1,
      mean: Float32Array.of(1, 2),
      components: Float32Array.of(1, 0),
      variances: Float32Array.of(4),
      residualVariance: 9,
      shrinkage: 0,
    }
    expect(mahalanobisDistance(stats, [3, 5])).toBeCloseTo(Math.SQRT2, 12)
    expect(mahalanobisDistance(stats, [1, 2])).toBe(0)
    expect(() => mahalanobisDistance(stats, [1, 2, 3])).toThrow(/3 values; the statistics are for 2/)
  })

  it('joint energy of sigmoid logits is −Σ softplus, stable for large logits', () => {
    // softplus(0) = ln 2, softplus(ln(e − 1)) = ln e = 1
    expect(jointEnergy([0, Math.log(Math.E - 1)])).toBeCloseTo(-(Math.LN2 + 1), 12)
    expect(jointEnergy([1000, -1000])).toBeCloseTo(-1000, 9)
    expect(Number.isFinite(jointEnergy([-1e6]))).toBe(true)
  })

  it('flags a score above the threshold, and a non-finite one', () => {
    const stats = { method: 'energy', energy: { threshold: -2 }, mahalanobis: { threshold: 10 } } as OodStats
    expect(oodVerdict(stats, { energy: -2, mahalanobis: 99 })).toEqual({ method: 'energy', score: -2, threshold: -2, flagged: false })
    expect(oodVerdict(stats, { energy: -1.9, mahalanobis: 0 }).flagged).toBe(true)
    expect(oodVerdict(stats, { energy: Number.NaN, mahalanobis: 0 }).flagged).toBe(true)
  })

  it('threshold lets the given share of validation scores pass', () => {
    const scores = Array.from({ length: 20 }, (_, i) => 20 - i) // 1..20
    expect(passThreshold(scores, 0.95)).toBe(19) // 19 of 20 pass
    expect(flaggedRate(scores, 19)).toBe(0.05)
    expect(passThreshold([3], 0.95)).toBe(3)
    expect(() => passThreshold([], 0.95)).toThrow(/validation scores/)
  })
})

describe('fitting the statistics', () => {
  // Four 2-d points: mean (1, 1); centred (±1, 0) and (0, ±2): S = diag(1/2, 2) (MLE, ÷ 4).
  const rows = { data: Float64Array.of(0, 1, 2, 1, 1, -1, 1, 3), n: 4, dims: 2 }

  it('covariance, and Ledoit–Wolf shrinkage from its closed form', () => {
    const { mean, covariance, sumSquaredNorms2 } = covarianceOf(rows)
    expect(Array.from(mean)).toEqual([1, 1])
    expect(Array.from(covariance)).toEqual([0.5, 0, 0, 2])
    expect(sumSquaredNorms2).toBe(1 + 1 + 16 + 16)
    // By hand: μ = 1.25, δ² = ((0.5 − 1.25)² + (2 − 1.25)²)/2 = 0.5625;
    // Σ_i ‖x_i x_iᵀ − S‖²_F = (0.25+4)·2 + (0.25+4)·2 = 17 → β̄² = 17 / (16 · 2) = 0.53125;
    // α = min(β̄², δ²)/δ² = 0.53125 / 0.5625.
    expect(ledoitWolfShrinkage(covariance, 2, 4, sumSquaredNorms2)).toBeCloseTo(0.53125 / 0.5625, 12)
  })

  it('with k = D − 1 the score is the exact Mahalanobis distance under the shrunk covariance', () => {
    const fitted = fitMahalanobis(rows, 1)
    const alpha = 0.53125 / 0.5625
    const shrunk = [(1 - alpha) * 0.5 + alpha * 1.25, (1 - alpha) * 2 + alpha * 1.25]
    expect(fitted.k).toBe(1)
    expect(fitted.variances[0]).toBeCloseTo(shrunk[1], 5) // the larger direction is kept
    expect(fitted.residualVariance).toBeCloseTo(shrunk[0], 5)
    expect(Math.abs(fitted.components[1])).toBeCloseTo(1, 5)
    const x = [2.5, -0.5] // centred (1.5, −1.5)
    expect(mahalanobisDistance(fitted, x)).toBeCloseTo(Math.sqrt(1.5 ** 2 / shrunk[0] + 1.5 ** 2 / shrunk[1]), 4)
  })

  it('with fewer rows than dimensions, the Gram-matrix route gives the same facts as the covariance route', () => {
    const n = 5
    const dims = 12 // 2n < dims: the Gram route
    const data = Float64Array.from({ length: n * dims }, (_, i) => Math.sin(i * 1.7) + (i % 3))
    const facts = covarianceFacts({ data, n, dims })
    const { covariance, sumSquaredNorms2 } = covarianceOf({ data, n, dims })
    const direct = matrixProduct(covariance, dims)
    let trace = 0
    let frob = 0
    for (let a = 0; a < dims; a++) trace += covariance[a * dims + a]
    for (const v of covariance) frob += v * v
    expect(facts.trace).toBeCloseTo(trace, 10)
    expect(facts.frob).toBeCloseTo(frob, 10)
    expect(facts.sumSquaredNorms2).toBeCloseTo(sumSquaredNorms2, 10)
    const basis = Float64Array.from({ length: dims * 2 }, (_, i) => Math.cos(i))
    const [a, b] = [facts.product(basis, 2), direct(basis, 2)]
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 10)
  })

  it('eigen-decompositions: Jacobi on [[2, 1], [1, 2]] and subspace iteration on a diagonal matrix', () => {
    const { values, vectors } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2)
    expect(values[0]).toBeCloseTo(3, 12)
    expect(values[1]).toBeCloseTo(1, 12)
    expect(Math.abs(vectors[0])).toBeCloseTo(Math.SQRT1_2, 12)
    const dims = 30
    const diagonal = new Float64Array(dims * dims)
    for (let i = 0; i < dims; i++) diagonal[i * dims + i] = dims - i
    const top = topEigen(matrixProduct(diagonal, dims), dims, 3)
    expect(Array.from(top.values, (v) => Number(v.toFixed(6)))).toEqual([30, 29, 28])
    expect(Math.abs(top.vectors[0])).toBeCloseTo(1, 6) // the first direction is the first axis
  })
})
