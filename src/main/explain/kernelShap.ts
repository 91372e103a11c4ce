import { solveSpd } from './linearSolve'
import { seededRandom } from '../../shared/random'

/** Evaluates the model on coalitions: mask[m] = 1 keeps region m, 0 replaces it by the background. */
export type CoalitionModel = (masks: Uint8Array[]) => Promise<Float64Array[]>

export interface KernelShapOptions {
  /** Model evaluations besides f(x) and f(background). With 2^M − 2 or fewer, every coalition is used and the result is exact. */
  samples: number
  /** Coalitions per model call. */
  batchSize?: number
  seed?: number
  signal?: AbortSignal
  onProgress?: (done: number, total: number) => void
}

export interface ShapResult {
  /** values[c][m]: Shapley value of region m for output c. */
  values: Float64Array[]
  /** f(background) per output. */
  base: Float64Array
  /** f(x) per output. */
  full: Float64Array
  exact: boolean
  evaluations: number
}

function binomial(n: number, k: number): number {
  let r = 1
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i
  return r
}

/** The Shapley kernel's weight for one coalition of size s out of M players. */
export function shapleyKernel(M: number, s: number): number {
  return (M - 1) / (binomial(M, s) * s * (M - s))
}

/** Coalitions with their regression weights: all of them when affordable, else paired kernel samples. */
function coalitions(M: number, samples: number, seed: number): { masks: Uint8Array[]; weights: number[]; exact: boolean } {
  const masks: Uint8Array[] = []
  const weights: number[] = []
  if (M <= 20 && 2 ** M - 2 <= samples) {
    for (let bits = 1; bits < 2 ** M - 1; bits++) {
      const mask = new Uint8Array(M)
      let s = 0
      for (let m = 0; m < M; m++) {
        if ((bits >> m) & 1) {
          mask[m] = 1
          s++
        }
      }
      masks.push(mask)
      weights.push(shapleyKernel(M, s))
    }
    return { masks, weights, exact: true }
  }
  // Sizes drawn with probability ∝ (M−1)/(s(M−s)); each sample then carries equal weight. Pairs
  // (z, complement) cancel much of the sampling variance.
  const random = seededRandom(seed)
  const sizeWeights = Array.from({ length: M - 1 }, (_, i) => (M - 1) / ((i + 1) * (M - i - 1)))
  const total = sizeWeights.reduce((a, b) => a + b, 0)
  const pairs = Math.max(1, Math.floor(samples / 2))
  for (let p = 0; p < pairs; p++) {
    let r = random() * total
    let s = 1
    for (; s < M - 1 && r > sizeWeights[s - 1]; s++) r -= sizeWeights[s - 1]
    const order = Array.from({ length: M }, (_, i) => i)
    for (let i = 0; i < s; i++) {
      const j = i + Math.floor(random() * (M - i))
      ;[order[i], order[j]] = [order[j], order[i]]
    }
    const mask = new Uint8Array(M)
    for (let i = 0; i < s; i++) mask[order[i]] = 1
    masks.push(
      mask,
      mask.map((v) => 1 - v),
    )
    weights.push(1, 1)
  }
  return { masks, weights, exact: false }
}

/**
 * Kernel SHAP (Lundberg & Lee 2017): a weighted linear regression over coalitions with the Shapley
 * kernel, solved with the efficiency constraint Σφ = f(x) − f(background) built in (one region is
 * eliminated), so the values always add up exactly.
 */
export async function kernelShap(model: CoalitionModel, M: number, options: KernelShapOptions): Promise<ShapResult> {
  if (M < 2) throw new Error('Kernel SHAP needs at least two regions')
  const [base, full] = await model([new Uint8Array(M), new Uint8Array(M).fill(1)])
  const { masks, weights, exact } = coalitions(M, options.samples, options.seed ?? 1)
  const batch = options.batchSize ?? 64
  const classes = base.length
  const n = M - 1
  // Normal equations for φ_0..φ_{M−2}; φ_{M−1} = Δ − Σ others. Row i of the design: z_j − z_{M−1}.
  // Accumulated batch by batch as outputs arrive (in mask order, so the sums are those of one pass
  // over all masks): no output is kept, and the regression costs nothing at the end.
  const xtx = new Float64Array(n * n)
  const xty = Array.from({ length: classes }, () => new Float64Array(n))
  const delta = Float64Array.from(full, (f, c) => f - base[c])
  const accumulate = (mask: Uint8Array, w: number, output: Float64Array) => {
    const last = mask[M - 1]
    for (let a = 0; a < n; a++) {
      const xa = mask[a] - last
      if (xa === 0) continue
      const row = a * n
      for (let b = 0; b < n; b++) xtx[row + b] += w * xa * (mask[b] - last)
      for (let c = 0; c < classes; c++) xty[c][a] += w * xa * (output[c] - base[c] - last * delta[c])
    }
  }
  for (let start = 0; start < masks.length; start += batch) {
    if (options.signal?.aborted) throw new Error('Kernel SHAP cancelled')
    const chunk = masks.slice(start, start + batch)
    const outputs = await model(chunk)
    if (outputs.length !== chunk.length) throw new Error(`the coalition model returned ${outputs.length} outputs for ${chunk.length} masks`)
    for (let i = 0; i < chunk.length; i++) accumulate(chunk[i], weights[start + i], outputs[i])
    options.onProgress?.(Math.min(start + batch, masks.length), masks.length)
  }
  const solved = solveSpd(xtx, n, xty)
  const values = solved.map((phi, c) => {
    const all = new Float64Array(M)
    all.set(phi)
    all[M - 1] = full[c] - base[c] - phi.reduce((a, b) => a + b, 0)
    return all
  })
  return { values, base, full, exact, evaluations: masks.length + 2 }
}

/** Exact Shapley values by enumerating every coalition (2^M evaluations): the reference for tests. */
export async function exactShapley(model: CoalitionModel, M: number): Promise<Float64Array[]> {
  const masks = Array.from({ length: 2 ** M }, (_, bits) => Uint8Array.from({ length: M }, (_, m) => (bits >> m) & 1))
  const outputs = await model(masks)
  const classes = outputs[0].length
  const values = Array.from({ length: classes }, () => new Float64Array(M))
  const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1))
  for (let bits = 0; bits < 2 ** M; bits++) {
    let s = 0
    for (let m = 0; m < M; m++) s += (bits >> m) & 1
    for (let m = 0; m < M; m++) {
      if ((bits >> m) & 1) continue
      const weight = (factorial(s) * factorial(M - s - 1)) / factorial(M)
      const withM = bits | (1 << m)
      for (let c = 0; c < classes; c++) values[c][m] += weight * (outputs[withM][c] - outputs[bits][c])
    }
  }
  return values
}
