import { seededRandom } from '../../shared/random'
import type { OodStats } from './oodStats'

/**
 * Fitting the out-of-distribution statistics: the pooled-feature mean, the Ledoit–Wolf shrunk tied
 * covariance kept as its top k directions (subspace iteration, then Rayleigh–Ritz with Jacobi) plus
 * one variance for the rest, and the validation threshold. Plain float64 loops: ~1,200 × 1024
 * features fit in seconds, so the fit runs wherever the app does (the script and fine-tuning alike).
 */

/** Rows of an [n × dims] float matrix. */
export interface FeatureRows {
  data: ArrayLike<number>
  n: number
  dims: number
}

/**
 * Ledoit & Wolf (2004) shrinkage intensity towards μI for the sample covariance S of centred rows:
 * α = min(β̄², δ²) / δ², with δ² = ‖S − μI‖², β̄² = Σ_i ‖x_i x_iᵀ − S‖² / n² (norms ‖A‖² = tr AAᵀ / p),
 * using Σ_i ‖x_i x_iᵀ − S‖² = Σ_i ‖x_i‖⁴ − n ‖S‖²_F.
 */
export function ledoitWolfShrinkage(covariance: Float64Array, dims: number, n: number, sumSquaredNorms2: number): number {
  let trace = 0
  let frob = 0
  for (let a = 0; a < dims; a++) trace += covariance[a * dims + a]
  for (let i = 0; i < covariance.length; i++) frob += covariance[i] * covariance[i]
  return shrinkageFrom(trace, frob, dims, n, sumSquaredNorms2)
}

/** The same from tr S and ‖S‖²_F. */
function shrinkageFrom(trace: number, frob: number, dims: number, n: number, sumSquaredNorms2: number): number {
  const mu = trace / dims
  const delta = (frob - mu * mu * dims) / dims
  const beta = (sumSquaredNorms2 - n * frob) / (n * n * dims)
  if (!(delta > 0)) return 1
  return Math.min(Math.max(beta, 0), delta) / delta
}

/** Mean, MLE covariance (÷ n) and Σ ‖x_i − mean‖⁴ of the rows. */
export function covarianceOf(rows: FeatureRows): { mean: Float64Array; covariance: Float64Array; sumSquaredNorms2: number } {
  const { data, n, dims } = rows
  const mean = new Float64Array(dims)
  for (let i = 0; i < n; i++) for (let a = 0; a < dims; a++) mean[a] += data[i * dims + a] / n
  const covariance = new Float64Array(dims * dims)
  const x = new Float64Array(dims)
  let sumSquaredNorms2 = 0
  for (let i = 0; i < n; i++) {
    let norm = 0
    for (let a = 0; a < dims; a++) {
      x[a] = data[i * dims + a] - mean[a]
      norm += x[a] * x[a]
    }
    sumSquaredNorms2 += norm * norm
    for (let a = 0; a < dims; a++) {
      const xa = x[a]
      if (xa === 0) continue
      const row = a * dims
      for (let b = a; b < dims; b++) covariance[row + b] += xa * x[b]
    }
  }
  for (let a = 0; a < dims; a++)
    for (let b = a; b < dims; b++) {
      const v = covariance[a * dims + b] / n
      covariance[a * dims + b] = v
      covariance[b * dims + a] = v
    }
  return { mean, covariance, sumSquaredNorms2 }
}

/** Eigen-decomposition of a small symmetric matrix (cyclic Jacobi): values descending, vectors as columns. */
export function symmetricEigen(matrix: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix)
  const v = new Float64Array(m * m)
  for (let i = 0; i < m; i++) v[i * m + i] = 1
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += a[p * m + q] * a[p * m + q]
    if (off < 1e-30) break
    for (let p = 0; p < m; p++)
      for (let q = p + 1; q < m; q++) {
        const apq = a[p * m + q]
        if (Math.abs(apq) < 1e-300) continue
        const theta = (a[q * m + q] - a[p * m + p]) / (2 * apq)
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const c = 1 / Math.sqrt(t * t + 1)
        const s = t * c
        for (let r = 0; r < m; r++) {
          const arp = a[r * m + p]
          const arq = a[r * m + q]
          a[r * m + p] = c * arp - s * arq
          a[r * m + q] = s * arp + c * arq
        }
        for (let r = 0; r < m; r++) {
          const apr = a[p * m + r]
          const aqr = a[q * m + r]
          a[p * m + r] = c * apr - s * aqr
          a[q * m + r] = s * apr + c * aqr
        }
        for (let r = 0; r < m; r++) {
          const vrp = v[r * m + p]
          const vrq = v[r * m + q]
          v[r * m + p] = c * vrp - s * vrq
          v[r * m + q] = s * vrp + c * vrq
        }
      }
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((i, j) => a[j * m + j] - a[i * m + i])
  const values = Float64Array.from(order, (i) => a[i * m + i])
  const vectors = new Float64Array(m * m)
  order.forEach((col, k) => {
    for (let r = 0; r < m; r++) vectors[r * m + k] = v[r * m + col]
  })
  return { values, vectors }
}

/** Orthonormalises the m columns of a [dims × m] matrix in place (modified Gram–Schmidt). */
function orthonormalize(q: Float64Array, dims: number, m: number): void {
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < j; i++) {
      let dot = 0
      for (let r = 0; r < dims; r++) dot += q[r * m + i] * q[r * m + j]
      for (let r = 0; r < dims; r++) q[r * m + j] -= dot * q[r * m + i]
    }
    let norm = 0
    for (let r = 0; r < dims; r++) norm += q[r * m + j] * q[r * m + j]
    norm = Math.sqrt(norm) || 1
    for (let r = 0; r < dims; r++) q[r * m + j] /= norm
  }
}

/** out = A · basis for a symmetric [dims × dims] A and a [dims × m] basis (row-major). */
export type SymmetricProduct = (basis: Float64Array, m: number) => Float64Array

/** The product by a stored matrix. */
export function matrixProduct(matrix: Float64Array, dims: number): SymmetricProduct {
  return (basis, m) => {
    const out = new Float64Array(dims * m)
    for (let r = 0; r < dims; r++) {
      const row = r * dims
      for (let c = 0; c < dims; c++) {
        const s = matrix[row + c]
        if (s === 0) continue
        const base = c * m
        for (let j = 0; j < m; j++) out[r * m + j] += s * basis[base + j]
      }
    }
    return out
  }
}

/**
 * Top-k eigenpairs of a symmetric [dims × dims] matrix given by its product: subspace iteration with
 * oversampling, then Rayleigh–Ritz. Vectors come back row-major [k × dims].
 */
export function topEigen(
  product: SymmetricProduct,
  dims: number,
  k: number,
  seed = 1,
  iterations = 24,
): { values: Float64Array; vectors: Float64Array } {
  const m = Math.min(dims, k + 12)
  const random = seededRandom(seed)
  let q: Float64Array = Float64Array.from({ length: dims * m }, () => random() - 0.5)
  orthonormalize(q, dims, m)
  for (let iteration = 0; iteration < iterations; iteration++) {
    q = product(q, m)
    orthonormalize(q, dims, m)
  }
  const sq = product(q, m)
  const small = new Float64Array(m * m)
  for (let r = 0; r < dims; r++) for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) small[i * m + j] += q[r * m + i] * sq[r * m + j]
  for (let i = 0; i < m; i++)
    for (let j = i + 1; j < m; j++) small[i * m + j] = small[j * m + i] = (small[i * m + j] + small[j * m + i]) / 2
  const { values, vectors } = symmetricEigen(small, m)
  const kept = Math.min(k, m)
  const out = new Float64Array(kept * dims)
  for (let j = 0; j < kept; j++)
    for (let r = 0; r < dims; r++) for (let i = 0; i < m; i++) out[j * dims + r] += q[r * m + i] * vectors[i * m + j]
  return { values: values.slice(0, kept), vectors: out }
}

/**
 * Covariance facts of the rows without the [dims × dims] matrix when there are fewer rows than
 * dimensions (a fine-tune's few cases): S·V = Xᵀ(X V)/n, ‖S‖²_F = ‖X Xᵀ‖²_F / n², tr S = tr(X Xᵀ)/n.
 */
export function covarianceFacts(rows: FeatureRows): {
  mean: Float64Array
  trace: number
  frob: number
  sumSquaredNorms2: number
  product: SymmetricProduct
} {
  const { n, dims } = rows
  if (2 * n >= dims) {
    const { mean, covariance, sumSquaredNorms2 } = covarianceOf(rows)
    let trace = 0
    let frob = 0
    for (let a = 0; a < dims; a++) trace += covariance[a * dims + a]
    for (let i = 0; i < covariance.length; i++) frob += covariance[i] * covariance[i]
    return { mean, trace, frob, sumSquaredNorms2, product: matrixProduct(covariance, dims) }
  }
  const mean = new Float64Array(dims)
  for (let i = 0; i < n; i++) for (let a = 0; a < dims; a++) mean[a] += rows.data[i * dims + a] / n
  const x = new Float64Array(n * dims)
  for (let i = 0; i < n; i++) for (let a = 0; a < dims; a++) x[i * dims + a] = rows.data[i * dims + a] - mean[a]
  const gram = new Float64Array(n * n)
  for (let i = 0; i < n; i++)
    for (let j = i; j < n; j++) {
      let dot = 0
      for (let a = 0; a < dims; a++) dot += x[i * dims + a] * x[j * dims + a]
      gram[i * n + j] = gram[j * n + i] = dot
    }
  let trace = 0
  let frob = 0
  let sumSquaredNorms2 = 0
  for (let i = 0; i < n; i++) {
    trace += gram[i * n + i] / n
    sumSquaredNorms2 += gram[i * n + i] ** 2
  }
  for (let i = 0; i < gram.length; i++) frob += (gram[i] / n) ** 2
  const product: SymmetricProduct = (basis, m) => {
    const xv = new Float64Array(n * m)
    for (let i = 0; i < n; i++)
      for (let a = 0; a < dims; a++) {
        const v = x[i * dims + a]
        if (v === 0) continue
        for (let j = 0; j < m; j++) xv[i * m + j] += v * basis[a * m + j]
      }
    const out = new Float64Array(dims * m)
    for (let i = 0; i < n; i++)
      for (let a = 0; a < dims; a++) {
        const v = x[i * dims + a] / n
        if (v === 0) continue
        for (let j = 0; j < m; j++) out[a * m + j] += v * xv[i * m + j]
      }
    return out
  }
  return { mean, trace, frob, sumSquaredNorms2, product }
}

/**
 * The Mahalanobis statistics of training rows: the Ledoit–Wolf shrunk covariance
 * (1 − α) S + α μ I has S's eigenvectors, so its top-k directions keep their shrunk variances and
 * every other direction gets the mean shrunk variance of the rest (nothing is dropped).
 */
export function fitMahalanobis(rows: FeatureRows, k: number): Omit<OodStats['mahalanobis'], 'threshold'> & { explained: number } {
  const { dims } = rows
  if (rows.n < 2) throw new Error(`fitting the out-of-distribution statistics needs at least 2 training images, got ${rows.n}`)
  const { mean, trace, frob, sumSquaredNorms2, product } = covarianceFacts(rows)
  const shrinkage = shrinkageFrom(trace, frob, dims, rows.n, sumSquaredNorms2)
  const mu = trace / dims
  const kept = Math.min(k, dims - 1)
  const { values, vectors } = topEigen(product, dims, kept)
  const top = values.reduce((s, v) => s + Math.max(v, 0), 0)
  const rest = Math.max(trace - top, 0) / (dims - kept)
  return {
    dims,
    k: kept,
    mean: Float32Array.from(mean),
    components: Float32Array.from(vectors),
    variances: Float32Array.from(values, (v) => (1 - shrinkage) * Math.max(v, 0) + shrinkage * mu),
    residualVariance: (1 - shrinkage) * rest + shrinkage * mu || Number.MIN_VALUE,
    shrinkage,
    explained: trace > 0 ? top / trace : 0,
  }
}

/** The score below which `passRate` of the in-distribution scores fall (they pass: score ≤ threshold). */
export function passThreshold(scores: readonly number[], passRate: number): number {
  if (scores.length === 0) throw new Error('a threshold needs validation scores')
  const sorted = [...scores].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(passRate * sorted.length) - 1))]
}

/** Fraction of scores above the threshold (flagged). */
export function flaggedRate(scores: readonly number[], threshold: number): number {
  return scores.length ? scores.filter((s) => !(s <= threshold)).length / scores.length : 0
}
