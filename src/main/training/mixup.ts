import type { SeededRandom } from '../../shared/random'

/**
 * Mixup (Zhang et al., 2018) on the cached inputs of the trained layers: each batch row becomes
 * λ·x_i + (1 − λ)·x_π(i) with labels λ·y_i + (1 − λ)·y_π(i), one λ ~ Beta(α, α) per batch and π a
 * random permutation of the batch, all drawn from the trainer's seeded generator (so a run is
 * reproducible and resumable). λ is folded to max(λ, 1 − λ) so row i stays the dominant image, and
 * its radiologist boxes (if any) keep supervising its class activation map. Mixing the last block's
 * inputs rather than pixels is what the cache allows: the backbone below is frozen, so its outputs
 * are all the trainer ever sees.
 */

/** A Gamma(shape, 1) draw (Marsaglia & Tsang; shape < 1 by the U^(1/shape) boost). */
function gamma(shape: number, random: SeededRandom): number {
  if (shape < 1) return gamma(shape + 1, random) * Math.pow(Math.max(random(), 1e-300), 1 / shape)
  const d = shape - 1 / 3
  const c = 1 / Math.sqrt(9 * d)
  for (;;) {
    let x: number, v: number
    do {
      // Box–Muller normal
      x = Math.sqrt(-2 * Math.log(Math.max(random(), 1e-300))) * Math.cos(2 * Math.PI * random())
      v = 1 + c * x
    } while (v <= 0)
    v = v * v * v
    const u = random()
    if (u < 1 - 0.0331 * x ** 4 || Math.log(Math.max(u, 1e-300)) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v
  }
}

/** λ ~ Beta(α, α), folded to [0.5, 1]. */
export function mixupLambda(alpha: number, random: SeededRandom): number {
  const a = gamma(alpha, random)
  const b = gamma(alpha, random)
  const lambda = a + b > 0 ? a / (a + b) : 0.5
  return Math.max(lambda, 1 - lambda)
}

/** Mixes a gathered batch ([n × D] inputs, [n × C] 0/1 labels) in place of a new one. */
export function mixBatch(x: Float32Array, n: number, D: number, labels: Uint8Array, C: number, alpha: number, random: SeededRandom): { x: Float32Array; targets: Float32Array; lambda: number } {
  const lambda = mixupLambda(alpha, random)
  const partner = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[partner[i], partner[j]] = [partner[j], partner[i]]
  }
  const mixed = new Float32Array(n * D)
  const targets = new Float32Array(n * C)
  for (let i = 0; i < n; i++) {
    const a = i * D
    const b = partner[i] * D
    for (let d = 0; d < D; d++) mixed[a + d] = lambda * x[a + d] + (1 - lambda) * x[b + d]
    for (let c = 0; c < C; c++) targets[i * C + c] = lambda * labels[i * C + c] + (1 - lambda) * labels[partner[i] * C + c]
  }
  return { x: mixed, targets, lambda }
}
