import { globalAveragePool } from './head'
import type { OodMethod, OodStats } from './oodStats'

/** One prediction's out-of-distribution verdict: higher scores are further from the training data. */
export interface OodVerdict {
  method: OodMethod
  score: number
  threshold: number
  flagged: boolean
}

/**
 * Mahalanobis distance of one pooled feature vector to the training statistics (Lee et al. 2018,
 * tied covariance): with z = V (x − μ) along the k kept directions,
 *   d² = Σ_j z_j² / λ_j + (‖x − μ‖² − ‖z‖²) / σ²,
 * which is (x − μ)ᵀ Σ⁻¹ (x − μ) for Σ = Vᵀ diag(λ) V + σ² (I − VᵀV). Returns d.
 */
export function mahalanobisDistance(stats: Omit<OodStats['mahalanobis'], 'threshold'>, pooled: ArrayLike<number>): number {
  const { dims, k, mean, components, variances, residualVariance } = stats
  if (pooled.length !== dims) throw new Error(`pooled features have ${pooled.length} values; the statistics are for ${dims}`)
  const centred = new Float64Array(dims)
  let total = 0
  for (let i = 0; i < dims; i++) {
    centred[i] = pooled[i] - mean[i]
    total += centred[i] * centred[i]
  }
  let explained = 0
  let along = 0
  for (let j = 0; j < k; j++) {
    let z = 0
    const row = j * dims
    for (let i = 0; i < dims; i++) z += components[row + i] * centred[i]
    along += z * z
    explained += (z * z) / variances[j]
  }
  // Rounding can make the residual a hair negative when x lies in the kept subspace.
  return Math.sqrt(explained + Math.max(0, total - along) / residualVariance)
}

/**
 * Energy of multi-label logits. Liu et al. (2020) define E(x) = −log Σ_c e^{f_c} for one softmax;
 * a sigmoid head has one binary softmax per finding ({f_c, 0}), and summing their energies gives the
 * joint energy of Wang et al. (2021): E(x) = −Σ_c log(1 + e^{f_c}). Higher energy = less like the
 * training data.
 */
export function jointEnergy(logits: ArrayLike<number>): number {
  let sum = 0
  for (let c = 0; c < logits.length; c++) {
    const f = logits[c]
    // softplus without overflow
    sum += f > 0 ? f + Math.log1p(Math.exp(-f)) : Math.log1p(Math.exp(f))
  }
  return -sum
}

/** Both scores of one image, from what the engine returned for it. */
export function oodScores(
  stats: OodStats,
  logits: ArrayLike<number>,
  featureMap: { data: Float32Array; channels: number; height: number; width: number },
): Record<OodMethod, number> {
  const pooled = globalAveragePool(featureMap.data, featureMap.channels, featureMap.height * featureMap.width)
  return { mahalanobis: mahalanobisDistance(stats.mahalanobis, pooled), energy: jointEnergy(logits) }
}

/** The package's chosen score against its threshold: flagged when the score is above it. */
export function oodVerdict(stats: OodStats, scores: Record<OodMethod, number>): OodVerdict {
  const threshold = stats.method === 'mahalanobis' ? stats.mahalanobis.threshold : stats.energy.threshold
  const score = scores[stats.method]
  return { method: stats.method, score, threshold, flagged: !(score <= threshold) }
}
