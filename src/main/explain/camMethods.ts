import type { DenseLayer } from '../inference/modelPackage'
import { globalAveragePool, headJacobian } from './head'
import { matmul } from './matmulKernel'

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
 * Runtime's kernel (a JS loop over 14 × 1280 × 49 costs ~2 ms, this ~0.1 ms).
 */
async function weightedMaps(features: FeatureMap, weights: Float32Array, classes: number, relu: boolean): Promise<Float64Array[]> {
  const cells = features.height * features.width
  const a = features.data instanceof Float32Array ? features.data : Float32Array.from(features.data)
  const product = await matmul(weights, classes, a, features.channels, cells)
  return Array.from({ length: classes }, (_, c) => {
    const map = Float64Array.from(product.subarray(c * cells, (c + 1) * cells))
    if (relu) for (let i = 0; i < cells; i++) if (map[i] < 0) map[i] = 0
    return map
  })
}

/**
 * Grad-CAM (Selvaraju et al.) with exact gradients. Behind global average pooling the gradient of
 * a logit is constant over cells, g_k = J[c,k] / (h·w), so alpha_k = g_k.
 */
function gradcamWeights(jacobian: Float32Array | Float64Array, channels: number, classes: number, cells: number): Float32Array {
  const weights = new Float32Array(classes * channels)
  for (let i = 0; i < weights.length; i++) weights[i] = jacobian[i] / cells
  return weights
}

/**
 * Grad-CAM++ (Chattopadhay et al.) in the form most libraries use (pytorch-grad-cam):
 * a = g² / (2g² + ΣA·g³), w_k = Σ_ij ReLU(g)·a. With a cell-constant g both sums are closed-form.
 */
function gradcamppWeights(features: FeatureMap, jacobian: Float32Array | Float64Array, classes: number): Float32Array {
  const cells = features.height * features.width
  const K = features.channels
  const activationSums = globalAveragePool(features.data, K, cells).map((mean) => mean * cells)
  const weights = new Float32Array(classes * K)
  for (let c = 0; c < classes; c++) {
    for (let k = 0; k < K; k++) {
      const g = jacobian[c * K + k] / cells
      if (g <= 0) continue // ReLU(g) = 0
      const g2 = g * g
      weights[c * K + k] = cells * g * (g2 / (2 * g2 + activationSums[k] * g2 * g + 1e-7))
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
    const jacobian = headJacobian(head, () => globalAveragePool(features.data, K, cells))
    const weights = method === 'gradcam' ? gradcamWeights(jacobian, K, classes, cells) : gradcamppWeights(features, jacobian, classes)
    maps = await weightedMaps(features, weights, classes, true)
  }
  return { method, height: features.height, width: features.width, maps }
}
