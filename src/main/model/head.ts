import type { DenseLayer } from './modelPackage'

/**
 * The model head as plain math: pooled features → logits, and the exact Jacobian d logit / d pooled.
 * With global average pooling in front, d logit_c / d A_k(i,j) = J[c,k] / (h·w) for every cell, so
 * one backbone pass gives exact gradients for every finding (no per-finding backward pass, no
 * finite differences).
 */
export function globalAveragePool(features: Float32Array | Float64Array, channels: number, cells: number, offset = 0): Float64Array {
  const pooled = new Float64Array(channels)
  for (let k = 0; k < channels; k++) {
    let sum = 0
    const base = offset + k * cells
    for (let i = 0; i < cells; i++) sum += features[base + i]
    pooled[k] = sum / cells
  }
  return pooled
}

interface Forward {
  /** Inputs to each layer (index 0 is the pooled vector). */
  inputs: Float64Array[]
  /** Pre-activation outputs of each layer. */
  preActivations: Float64Array[]
  logits: Float64Array
}

export function headForward(layers: DenseLayer[], pooled: Float64Array): Forward {
  const inputs: Float64Array[] = []
  const preActivations: Float64Array[] = []
  let x = pooled
  for (const layer of layers) {
    inputs.push(x)
    const z = new Float64Array(layer.outputs)
    for (let o = 0; o < layer.outputs; o++) {
      let sum = layer.bias[o]
      const row = o * layer.inputs
      for (let i = 0; i < layer.inputs; i++) sum += layer.weight[row + i] * x[i]
      z[o] = sum
    }
    preActivations.push(z)
    x = layer.activation === 'relu' ? z.map((v) => (v > 0 ? v : 0)) : z
  }
  return { inputs, preActivations, logits: x }
}

/** Exact d logits / d pooled, as a row-major [classes × channels] matrix (backpropagation through the head). */
export function headJacobian(layers: DenseLayer[], pooled: () => Float64Array): Float32Array | Float64Array {
  const last = layers[layers.length - 1]
  // A linear head's Jacobian is its weight, whatever the input: no forward pass, no copy.
  if (layers.length === 1) return last.weight
  const { preActivations } = headForward(layers, pooled())
  // J starts as d logits / d (input of the last layer) = its weight (the last layer has no activation).
  const rows = last.outputs
  let cols = last.inputs
  let jacobian = Float64Array.from(last.weight)
  for (let l = layers.length - 2; l >= 0; l--) {
    const layer = layers[l]
    const z = preActivations[l]
    const next = new Float64Array(rows * layer.inputs)
    for (let r = 0; r < rows; r++) {
      for (let h = 0; h < cols; h++) {
        const gate = layer.activation === 'relu' ? (z[h] > 0 ? 1 : 0) : 1
        const g = jacobian[r * cols + h] * gate
        if (g === 0) continue
        const wRow = h * layer.inputs
        const out = r * layer.inputs
        for (let i = 0; i < layer.inputs; i++) next[out + i] += g * layer.weight[wRow + i]
      }
    }
    jacobian = next
    cols = layer.inputs
  }
  return jacobian
}
