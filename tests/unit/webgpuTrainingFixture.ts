import { seededRandom } from '../../src/shared/random'
import { rowSet, type RowSet } from '../../src/main/training/rowSet'

/**
 * A seeded last-block fixture shaped like the reference model's, only smaller (the software WebGPU
 * adapter runs a 1024×1024 block product over 144 cells in about a minute): block inputs that went
 * through a ReLU6 (a third of them 0, some at 6), a block whose pre-activations fall on both sides of
 * the clamp (so the backward gate matters), a 14-finding head, and labels that follow the pooled
 * activations plus noise (so one epoch moves the validation AUROC, and every finding has positives).
 */
export interface BlockFixture {
  block: { weight: Float32Array; bias: Float32Array; activation: 'relu6'; inChannels: number }
  head: { weight: Float32Array; bias: Float32Array }
  cells: number
  train: RowSet
  val: RowSet
}

export function blockFixture(
  seed = 7,
  sizes = { train: 48, val: 32, cells: 16, inChannels: 128, channels: 96, classes: 14 },
): BlockFixture {
  const random = seededRandom(seed)
  // Box–Muller on the seeded generator
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  const { cells, inChannels: Cin, channels: K, classes: C } = sizes
  const n = sizes.train + sizes.val
  const matrix = Float32Array.from({ length: n * cells * Cin }, () => Math.min(6, Math.max(0, 1.5 * gauss() + 0.3)))
  const weight = Float32Array.from({ length: K * Cin }, () => 0.25 * gauss())
  const bias = Float32Array.from({ length: K }, () => 1 + gauss())
  // The labels' hidden rule: a random direction in pooled-activation space per finding, which the
  // head starts half aligned with (as a pretrained head would be), so validation AUROC is not 0.5.
  const rule = Float64Array.from({ length: C * K }, () => gauss())
  const head = { weight: Float32Array.from(rule, (r) => 0.03 * r + 0.03 * gauss()), bias: new Float32Array(C).fill(-1.5) }
  const labels = new Uint8Array(n * C)
  const pooled = new Float64Array(K)
  const scores = new Float64Array(n * C)
  for (let i = 0; i < n; i++) {
    pooled.fill(0)
    for (let c = 0; c < cells; c++) {
      const x = (i * cells + c) * Cin
      for (let k = 0; k < K; k++) {
        let z = bias[k]
        for (let j = 0; j < Cin; j++) z += matrix[x + j] * weight[k * Cin + j]
        pooled[k] += Math.min(6, Math.max(0, z)) / cells
      }
    }
    for (let f = 0; f < C; f++) {
      let s = 0
      for (let k = 0; k < K; k++) s += rule[f * K + k] * pooled[k]
      scores[i * C + f] = s
    }
  }
  for (let f = 0; f < C; f++) {
    const column = Array.from({ length: n }, (_, i) => scores[i * C + f])
    const mean = column.reduce((a, b) => a + b, 0) / n
    const sd = Math.sqrt(column.reduce((a, b) => a + (b - mean) ** 2, 0) / n) || 1
    // about 30% positives, with label noise; the first rows of both parts are forced positive and negative
    column.forEach((s, i) => (labels[i * C + f] = (s - mean) / sd + 0.8 * gauss() > 0.5 ? 1 : 0))
    for (const at of [0, sizes.train]) {
      labels[at * C + f] = 1
      labels[(at + 1) * C + f] = 0
    }
  }
  const D = cells * Cin
  const labelsOf = (row: number) => labels.subarray(row * C, (row + 1) * C)
  const rows = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)
  return {
    block: { weight, bias, activation: 'relu6', inChannels: Cin },
    head,
    cells,
    train: rowSet(matrix, D, rows(0, sizes.train), labelsOf, C),
    val: rowSet(matrix, D, rows(sizes.train, sizes.val), labelsOf, C),
  }
}
