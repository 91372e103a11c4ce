import type { DenseLayer } from '../model/modelPackage'
import type { FeatureMap } from './camMethods'

/**
 * Exact last-layer SHAP for a linear head. Each logit is linear in the feature-map cells:
 * f_c = Σ_k W_ck · mean_ij A_kij + b_c. The Shapley value of a cell (all its channels together, as
 * one player) with respect to a background expectation Ā is therefore, in closed form,
 * φ_c,ij = Σ_k W_ck (A_kij − Ā_kij) / (h·w), and Σ_ij φ_c,ij = f_c(A) − f_c(Ā) exactly.
 */
export function layerShap(features: FeatureMap, backgroundMean: Float32Array | Float64Array, head: DenseLayer[]): Float64Array[] {
  if (head.length !== 1) throw new Error('exact last-layer SHAP needs a linear head; use Kernel SHAP for a head with hidden layers')
  const layer = head[0]
  const cells = features.height * features.width
  if (backgroundMean.length !== features.data.length) throw new Error('background feature map has another shape')
  return Array.from({ length: layer.outputs }, (_, c) => {
    const map = new Float64Array(cells)
    for (let k = 0; k < features.channels; k++) {
      const w = layer.weight[c * layer.inputs + k] / cells
      const base = k * cells
      for (let i = 0; i < cells; i++) map[i] += w * (features.data[base + i] - backgroundMean[base + i])
    }
    return map
  })
}

/** Mean feature map over background cases ([n × K·h·w] → [K·h·w]): the expectation layer SHAP uses. */
export function meanFeatures(batch: Float32Array, n: number): Float64Array {
  const size = batch.length / n
  const mean = new Float64Array(size)
  for (let i = 0; i < n; i++) for (let j = 0; j < size; j++) mean[j] += batch[i * size + j] / n
  return mean
}
