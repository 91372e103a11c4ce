import type { DenseLayer } from '../model/modelPackage'
import { globalAveragePool, headJacobian } from '../model/head'
import { matmul } from '../model/matmulKernel'

export type CamMethod = 'gradcam' | 'gradcampp' | 'cam' | 'eigencam'

/** One image's feature map: K channels of h×w cells, channel-major ([K][h][w]). */
export interface FeatureMap {
  data: Float32Array | Float64Array
  channels: number
  height: number
  width: number
}

/** Low-resolution maps (h×w, row-major) for every class, all from one backbone pass. */
export interface CamResult {
  method: CamMethod
  height: number
  width: number
  maps: Float64Array[]
}

/**
 * maps[c] = Σ_k weights[c][k] · A_k for every class at once: one [C×K]·[K×cells] product on ONNX
 * Runtime's kernel (a JS loop over 14 × 1280 × 49 costs ~2 ms, this ~0.1 ms). Everything around the
 * product is one pass that writes the float64 maps (and their ReLU): all-findings Grad-CAM is meant to
 * cost next to nothing beside the inference that produced the feature map.
 */
async function weightedMaps(features: FeatureMap, weights: Float32Array, classes: number, relu: boolean): Promise<Float64Array[]> {
  const cells = features.height * features.width
  const a = features.data instanceof Float32Array ? features.data : Float32Array.from(features.data)
  const product = await matmul(weights, classes, a, features.channels, cells)
  const maps: Float64Array[] = []
  for (let c = 0; c < classes; c++) {
    const map = new Float64Array(cells)
    const offset = c * cells
    if (relu) for (let i = 0; i < cells; i++) map[i] = product[offset + i] > 0 ? product[offset + i] : 0
    else for (let i = 0; i < cells; i++) map[i] = product[offset + i]
    maps.push(map)
  }
  return maps
}

/** A linear head's Grad-CAM weights depend only on the head and the map size: computed once per head. */
const linearGradcamWeights = new WeakMap<Float32Array | Float64Array, Map<number, Float32Array>>()

/**
 * Grad-CAM (Selvaraju et al.) with exact gradients. Behind global average pooling the gradient of
 * a logit is constant over cells, g_k = J[c,k] / (h·w), so alpha_k = g_k.
 */
function gradcamWeights(jacobian: Float32Array | Float64Array, channels: number, classes: number, cells: number): Float32Array {
  const weights = new Float32Array(classes * channels)
  for (let i = 0; i < weights.length; i++) weights[i] = jacobian[i] / cells
  return weights
}

function cachedGradcamWeights(head: DenseLayer[], channels: number, classes: number, cells: number): Float32Array {
  const weight = head[0].weight
  let byCells = linearGradcamWeights.get(weight)
  if (!byCells) linearGradcamWeights.set(weight, (byCells = new Map()))
  let weights = byCells.get(cells)
  if (!weights) byCells.set(cells, (weights = gradcamWeights(weight, channels, classes, cells)))
  return weights
}

/**
 * Grad-CAM++ (Chattopadhay et al., WACV 2018), eq. 9–10 of the paper:
 *   alpha^kc_ij = ∂²Y/∂A² / (2 ∂²Y/∂A² + Σ_ab A^k_ab ∂³Y/∂A³),  w^c_k = Σ_ij alpha^kc_ij ReLU(∂Y/∂A^k_ij).
 *
 * Which output Y. Our heads give logits S followed by a sigmoid. We use the paper's own choice,
 * Y = exp(S) on the pre-sigmoid logit, not Y = sigmoid(S): with S piecewise linear in A (a linear
 * head, or one with ReLU hidden layers: ∂²S/∂A² = 0), exp gives ∂ⁿY/∂Aⁿ = exp(S)·gⁿ with g = ∂S/∂A,
 * every derivative has the sign of gⁿ, and alpha = 1/(2 + Σ_ab A_ab·g). The sigmoid's second
 * derivative σ(1−σ)(1−2σ)·g² vanishes at p = 0.5 and changes sign above it, so its alpha would be
 * undefined or negative exactly for the findings the model calls positive.
 *
 * Behind global average pooling g_k = J[c,k]/(h·w) is the same in every cell (J the head's exact
 * Jacobian at this image: the weight for a linear head, backpropagation for a hidden-layer head),
 * so alpha_k = 1/(2 + S_k·g_k) with S_k = Σ_ij A_kij, and w_k = (h·w)·ReLU(g_k)·alpha_k. The
 * positive factor exp(S_c) is left out: it scales class c's map by a constant, which every display
 * and score normalizes away. alpha is computed as 1/(2 + S·g), not g²/(2g² + S·g³), so nothing
 * underflows and no epsilon is needed: with the reference model's tiny gradients (median 7.5e-5) an
 * epsilon of 1e-7 was larger than 2g² + S·g³ in 99% of channels and replaced the paper's alpha
 * (issue 21's measurement; tests/unit/engine.test.ts checks that regime against PyTorch).
 * The only guard is for a denominator that is exactly zero (S·g = −2, possible only with negative
 * activations), where alpha is taken as 0.
 *
 * Even so it fails the randomization sanity check on the reference model (a random head leaves
 * the map nearly unchanged: tests/unit/sanityRandomization.test.ts): there S·g ≪ 2, so alpha ≈ 1/2
 * and the map is ≈ ReLU(Σ_k ReLU(W_ck)·A_k), a positive mix of non-negative channels that looks
 * like the mean activation whichever channels the head favours.
 */
function gradcamppWeights(features: FeatureMap, jacobian: Float32Array | Float64Array, classes: number): Float32Array {
  const cells = features.height * features.width
  const K = features.channels
  const activationSums = globalAveragePool(features.data, K, cells).map((mean) => mean * cells)
  const weights = new Float32Array(classes * K)
  for (let c = 0; c < classes; c++) {
    for (let k = 0; k < K; k++) {
      const g = jacobian[c * K + k] / cells
      if (!(g > 0)) continue // ReLU(∂Y/∂A) = exp(S)·ReLU(g) = 0: the channel has no weight
      const denominator = 2 + activationSums[k] * g
      if (denominator === 0) continue
      weights[c * K + k] = (cells * g) / denominator
    }
  }
  return weights
}

/**
 * Eigen-CAM (Muhammad & Yeasin): the feature map projected on its first principal component.
 * Computed from the small cells×cells Gram matrix of the centred activations (X Xᵀ, one product on
 * the ORT kernel): its top eigenvector u gives the projection X·v₁ = σ₁·u. Gradient-free and
 * class-independent, so every class gets the same map. A singular vector's sign is arbitrary (and
 * a centred projection sums to zero), so the sign is chosen to make the map correlate positively
 * with the mean activation.
 */
async function eigencam(features: FeatureMap, classes: number): Promise<Float64Array[]> {
  const cells = features.height * features.width
  const K = features.channels
  const x = new Float32Array(cells * K) // [cells][K], centred per channel
  const xt = new Float32Array(K * cells) // its transpose
  const meanActivation = new Float64Array(cells)
  for (let k = 0; k < K; k++) {
    let mean = 0
    for (let i = 0; i < cells; i++) mean += features.data[k * cells + i]
    mean /= cells
    for (let i = 0; i < cells; i++) {
      const v = features.data[k * cells + i]
      meanActivation[i] += v / K
      x[i * K + k] = v - mean
      xt[k * cells + i] = v - mean
    }
  }
  const gram = await matmul(x, cells, xt, K, cells)
  let u = new Float64Array(cells).fill(1 / Math.sqrt(cells))
  let lambda = 0
  for (let iter = 0; iter < 1000; iter++) {
    const next = new Float64Array(cells)
    for (let i = 0; i < cells; i++) {
      let s = 0
      for (let j = 0; j < cells; j++) s += gram[i * cells + j] * u[j]
      next[i] = s
    }
    const norm = Math.hypot(...next)
    if (norm === 0) break
    for (let i = 0; i < cells; i++) next[i] /= norm
    const delta = next.reduce((d, value, i) => d + Math.abs(value - u[i]), 0)
    u = next
    lambda = norm
    if (delta < 1e-13) break
  }
  const sigma = Math.sqrt(lambda)
  const projection = u.map((v) => v * sigma)
  const agreement = projection.reduce((sum, v, i) => sum + v * meanActivation[i], 0)
  if (agreement < 0) for (let i = 0; i < cells; i++) projection[i] = -projection[i]
  return Array.from({ length: classes }, () => Float64Array.from(projection))
}

/** Every class's map for one image, from its feature map and the model head. */
export async function camForAllClasses(method: CamMethod, features: FeatureMap, head: DenseLayer[]): Promise<CamResult> {
  const classes = head[head.length - 1].outputs
  const cells = features.height * features.width
  const K = features.channels
  let maps: Float64Array[]
  if (method === 'eigencam') maps = await eigencam(features, classes)
  else if (method === 'cam') {
    // CAM (Zhou et al.): the linear head's weights on the feature map; defined for a linear head only.
    if (head.length !== 1) throw new Error('CAM needs a single linear head; use Grad-CAM for a head with hidden layers')
    maps = await weightedMaps(features, head[0].weight, classes, false)
  } else {
    // A linear head's Jacobian is its weight whatever the image (and head weights are never edited in
    // place: fine-tuning writes a new package), so its Grad-CAM weights are cached.
    const linear = head.length === 1
    const jacobian = linear ? head[0].weight : headJacobian(head, () => globalAveragePool(features.data, K, cells))
    const weights =
      method === 'gradcampp'
        ? gradcamppWeights(features, jacobian, classes)
        : linear
          ? cachedGradcamWeights(head, K, classes, cells)
          : gradcamWeights(jacobian, K, classes, cells)
    maps = await weightedMaps(features, weights, classes, true)
  }
  return { method, height: features.height, width: features.width, maps }
}
