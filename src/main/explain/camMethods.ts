import type { DenseLayer } from '../inference/modelPackage'
import { globalAveragePool, headJacobian } from './head'

export type CamMethod = 'gradcam' | 'gradcampp' | 'cam' | 'eigencam'
export const CAM_METHODS: readonly CamMethod[] = ['gradcam', 'gradcampp', 'cam', 'eigencam']

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

function weightedSum(features: FeatureMap, weights: Float64Array, relu: boolean): Float64Array {
  const cells = features.height * features.width
  const map = new Float64Array(cells)
  for (let k = 0; k < features.channels; k++) {
    const w = weights[k]
    if (w === 0) continue
    const base = k * cells
    for (let i = 0; i < cells; i++) map[i] += w * features.data[base + i]
  }
  if (relu) for (let i = 0; i < cells; i++) if (map[i] < 0) map[i] = 0
  return map
}

/**
 * Grad-CAM (Selvaraju et al.) with exact gradients. Behind global average pooling the gradient of
 * a logit is constant over cells, g_k = J[c,k] / (h·w), so alpha_k = g_k.
 */
function gradcam(features: FeatureMap, jacobian: Float64Array, classes: number): Float64Array[] {
  const cells = features.height * features.width
  return Array.from({ length: classes }, (_, c) => {
    const alpha = new Float64Array(features.channels)
    for (let k = 0; k < features.channels; k++) alpha[k] = jacobian[c * features.channels + k] / cells
    return weightedSum(features, alpha, true)
  })
}

/**
 * Grad-CAM++ (Chattopadhay et al.) in the form most libraries use (pytorch-grad-cam):
 * a = g² / (2g² + ΣA·g³), w_k = Σ_ij ReLU(g)·a. With a cell-constant g both sums are closed-form.
 */
function gradcampp(features: FeatureMap, jacobian: Float64Array, classes: number): Float64Array[] {
  const cells = features.height * features.width
  const activationSums = globalAveragePool(features.data, features.channels, cells).map((mean) => mean * cells)
  return Array.from({ length: classes }, (_, c) => {
    const weights = new Float64Array(features.channels)
    for (let k = 0; k < features.channels; k++) {
      const g = jacobian[c * features.channels + k] / cells
      if (g === 0) continue
      const g2 = g * g
      const a = g2 / (2 * g2 + activationSums[k] * g2 * g + 1e-7)
      weights[k] = cells * (g > 0 ? g : 0) * a
    }
    return weightedSum(features, weights, true)
  })
}

/** CAM (Zhou et al.): the linear head's weights on the feature map; defined for a linear head only. */
function cam(features: FeatureMap, head: DenseLayer[]): Float64Array[] {
  if (head.length !== 1) throw new Error('CAM needs a single linear head; use Grad-CAM for a head with hidden layers')
  const layer = head[0]
  return Array.from({ length: layer.outputs }, (_, c) =>
    weightedSum(features, Float64Array.from(layer.weight.subarray(c * layer.inputs, (c + 1) * layer.inputs)), false),
  )
}

/**
 * Eigen-CAM (Muhammad & Yeasin): the feature map projected on its first principal component
 * (power iteration on the K×K covariance). Gradient-free and class-independent, so every class
 * gets the same map. A singular vector's sign is arbitrary (and a centred projection sums to zero),
 * so the sign is chosen to make the map correlate positively with the mean activation.
 */
function eigencam(features: FeatureMap, classes: number): Float64Array[] {
  const cells = features.height * features.width
  const K = features.channels
  const x = new Float64Array(cells * K) // [cells][K], centred per channel
  for (let k = 0; k < K; k++) {
    let mean = 0
    for (let i = 0; i < cells; i++) mean += features.data[k * cells + i]
    mean /= cells
    for (let i = 0; i < cells; i++) x[i * K + k] = features.data[k * cells + i] - mean
  }
  let v = new Float64Array(K).fill(1 / Math.sqrt(K))
  const projection = new Float64Array(cells)
  for (let iter = 0; iter < 200; iter++) {
    for (let i = 0; i < cells; i++) {
      let s = 0
      for (let k = 0; k < K; k++) s += x[i * K + k] * v[k]
      projection[i] = s
    }
    const next = new Float64Array(K)
    for (let i = 0; i < cells; i++) for (let k = 0; k < K; k++) next[k] += x[i * K + k] * projection[i]
    const norm = Math.hypot(...next)
    if (norm === 0) break
    for (let k = 0; k < K; k++) next[k] /= norm
    const delta = next.reduce((d, value, k) => d + Math.abs(value - v[k]), 0)
    v = next
    if (delta < 1e-12) break
  }
  for (let i = 0; i < cells; i++) {
    let s = 0
    for (let k = 0; k < K; k++) s += x[i * K + k] * v[k]
    projection[i] = s
  }
  let agreement = 0
  for (let i = 0; i < cells; i++) {
    let meanActivation = 0
    for (let k = 0; k < K; k++) meanActivation += features.data[k * cells + i]
    agreement += projection[i] * meanActivation
  }
  if (agreement < 0) for (let i = 0; i < cells; i++) projection[i] = -projection[i]
  return Array.from({ length: classes }, () => Float64Array.from(projection))
}

/** Every class's map for one image, from its feature map and the model head. */
export function camForAllClasses(method: CamMethod, features: FeatureMap, head: DenseLayer[]): CamResult {
  const classes = head[head.length - 1].outputs
  const cells = features.height * features.width
  let maps: Float64Array[]
  if (method === 'cam') maps = cam(features, head)
  else if (method === 'eigencam') maps = eigencam(features, classes)
  else {
    const jacobian = headJacobian(head, globalAveragePool(features.data, features.channels, cells))
    maps = method === 'gradcam' ? gradcam(features, jacobian, classes) : gradcampp(features, jacobian, classes)
  }
  return { method, height: features.height, width: features.width, maps }
}
