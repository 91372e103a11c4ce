import { trainingProducts, type Products } from '../model/matmulKernel'
import type { LastBlock } from '../model/lastBlock'
import type { BoxTarget } from './camLoss'
import { boxLossColumnOf, type BoxLoss } from './boxLoss'

/**
 * What fine-tuning can train, as forward and backward passes whose matrix products run on ONNX
 * Runtime's Gemm kernel; only element-wise work (bias, clamp, pooling, dropout) stays in JS, in
 * single passes over typed arrays.
 */
export interface TrainParam {
  name: string
  data: Float32Array
  /** L2 applies (weights, not biases) */
  decay: boolean
  /** multiplies the learning rate: pretrained layers below the head move more slowly */
  lrScale: number
}

export interface Dropout {
  keep: number
  random: () => number
}

/**
 * Box supervision for one batch: per row its box targets (null: none), the weight λ of the CAM loss
 * (added to the label loss as λ/n · Σ box losses, n the batch size), and where its summed loss goes.
 */
export interface Localization {
  weight: number
  targets: Array<BoxTarget[] | null>
  onLoss?: (loss: number) => void
  /** the localization term (absent: `mass`, the CAM loss of every earlier run) */
  loss?: BoxLoss
  /** the fill term's temperature τ (absent: fillLoss.ts's FILL_TEMPERATURE) */
  fillTemperature?: number
  /** the level term's weight as a multiple of λ, beside a fill term (absent: none) */
  levelWeight?: number
}

export interface Trainable {
  /** values per input row */
  readonly inputSize: number
  readonly params: TrainParam[]
  /** feature-map cells per row when the model has a map (class activation maps), else absent */
  readonly cells?: number
  /** logits [n × C] without dropout */
  forward(x: Float32Array, n: number): Promise<Float32Array>
  /** the pooled features [n × K] the head sees (what the out-of-distribution statistics describe) */
  pooled(x: Float32Array, n: number): Promise<Float32Array>
  /** forward with dropout, then the loss gradient d loss / d logits [n × C] (and the CAM loss, when given) back to every parameter */
  backward(x: Float32Array, n: number, dropout: Dropout, lossGrad: (logits: Float32Array) => Float32Array, localization?: Localization): Promise<Float32Array[]>
  /** class activation maps [n·cells × C]: CAM_c(s) = Σ_k W[c,k]·A[s,k], without the bias (models with a map only) */
  cams?(x: Float32Array, n: number): Promise<Float32Array>
}

export interface LinearHead {
  /** [C × K] */
  weight: Float32Array
  bias: Float32Array
}

function addBias(z: Float32Array, bias: Float32Array): Float32Array {
  const C = bias.length
  for (let o = 0; o < z.length; o += C) for (let c = 0; c < C; c++) z[o + c] += bias[c]
  return z
}

function columnSums(g: Float32Array, cols: number): Float32Array {
  const out = new Float32Array(cols)
  for (let o = 0; o < g.length; o += cols) for (let c = 0; c < cols; c++) out[c] += g[o + c]
  return out
}

/** Inverted dropout on [n × K] in place; returns the mask (0 or 1/keep per value). */
function dropoutInPlace(x: Float32Array, { keep, random }: Dropout): Float32Array {
  const mask = new Float32Array(x.length)
  for (let i = 0; i < x.length; i++) {
    mask[i] = random() < keep ? 1 / keep : 0
    x[i] *= mask[i]
  }
  return mask
}

/**
 * The model's last layer on pooled features: logits = x · Wᵀ + b. `products` is where its matrix
 * products run (the process's provider chain unless a run or a test chose one).
 */
export function linearHeadTrainable(head: LinearHead, K: number, products: Products = trainingProducts): Trainable {
  const C = head.bias.length
  const gemm = products.gemm.bind(products)
  const logits = (x: Float32Array, n: number) => gemm({ data: x, rows: n, cols: K }, { data: head.weight, rows: C, cols: K, transpose: true }).then((z) => addBias(z, head.bias))
  return {
    inputSize: K,
    params: [{ name: 'head.weight', data: head.weight, decay: true, lrScale: 1 }, { name: 'head.bias', data: head.bias, decay: false, lrScale: 1 }],
    forward: logits,
    pooled: async (x) => x,
    async backward(x, n, dropout, lossGrad) {
      const xd = Float32Array.from(x)
      dropoutInPlace(xd, dropout)
      const g = lossGrad(await logits(xd, n))
      const gradW = await gemm({ data: g, rows: n, cols: C, transpose: true }, { data: xd, rows: n, cols: K })
      return [gradW, columnSums(g, C)]
    },
  }
}

const clampOf = (activation: LastBlock['activation']) => (activation === 'relu6' ? [0, 6] : activation === 'relu' ? [0, Infinity] : [-Infinity, Infinity])

/**
 * The last pointwise block plus the head. An input row is the block's input for one case, cell-major
 * [cells × Cin], so a batch is one [n·cells × Cin] matrix: Z = X · Wbᵀ + bb, A = clamp(Z), pooled =
 * mean of A over cells, logits = pooled · Whᵀ + bh. Backward: dWh = Gᵀ·pooled, dpooled = G·Wh, dZ =
 * dpooled/cells where the clamp passes, dWb = dZᵀ·X.
 */
export function blockTrainable(
  block: { weight: Float32Array; bias: Float32Array; activation: LastBlock['activation']; inChannels: number },
  head: LinearHead,
  cells: number,
  blockLrScale: number,
  products: Products = trainingProducts,
): Trainable {
  const gemm = products.gemm.bind(products)
  const Cin = block.inChannels
  const K = block.bias.length
  const C = head.bias.length
  const [lo, hi] = clampOf(block.activation)
  // One pass adds the bias in place (z is kept for the backward gate), clamps and pools per case.
  const activations = async (x: Float32Array, n: number) => {
    const z = await gemm({ data: x, rows: n * cells, cols: Cin }, { data: block.weight, rows: K, cols: Cin, transpose: true })
    const bias = block.bias
    const pooled = new Float32Array(n * K)
    for (let i = 0; i < n; i++) {
      const p = i * K
      for (let c = 0, o = i * cells * K; c < cells; c++) {
        for (let k = 0; k < K; k++, o++) {
          const v = (z[o] += bias[k])
          pooled[p + k] += v < lo ? lo : v > hi ? hi : v
        }
      }
      for (let k = 0; k < K; k++) pooled[p + k] /= cells
    }
    return { z, pooled }
  }
  const headLogits = (pooled: Float32Array, n: number) => gemm({ data: pooled, rows: n, cols: K }, { data: head.weight, rows: C, cols: K, transpose: true }).then((z) => addBias(z, head.bias))
  /** The clamped activations A of the chosen rows, [rows·cells × K], from the pre-activations z. */
  const clamped = (z: Float32Array, rows: number[]) => {
    const a = new Float32Array(rows.length * cells * K)
    rows.forEach((i, r) => {
      const from = i * cells * K
      for (let j = 0; j < cells * K; j++) {
        const v = z[from + j]
        a[r * cells * K + j] = v < lo ? lo : v > hi ? hi : v
      }
    })
    return a
  }
  const camsOf = (a: Float32Array, rows: number) => gemm({ data: a, rows: rows * cells, cols: K }, { data: head.weight, rows: C, cols: K, transpose: true })
  /**
   * The CAM loss of the rows with boxes: its gradient with respect to A ([boxed rows·cells × K],
   * null when no row has a box) and to the head's weight, already scaled by λ/n.
   */
  const localizationGradient = async (z: Float32Array, n: number, localization: Localization | undefined) => {
    const rows = localization && localization.weight > 0 ? localization.targets.flatMap((t, i) => (t?.length ? [i] : [])) : []
    if (!localization || rows.length === 0) return null
    const a = clamped(z, rows)
    const cam = await camsOf(a, rows.length)
    const dCam = new Float32Array(cam.length)
    const scale = localization.weight / n
    const lossColumn = boxLossColumnOf(localization.loss, localization.fillTemperature, localization.levelWeight)
    let loss = 0
    rows.forEach((i, r) => {
      const camRow = cam.subarray(r * cells * C, (r + 1) * cells * C)
      const gradRow = dCam.subarray(r * cells * C, (r + 1) * cells * C)
      for (const target of localization.targets[i]!) {
        const w = target.weight ?? 1
        loss += w * lossColumn(camRow, gradRow, cells, C, target, scale * w)
      }
    })
    localization.onLoss?.(localization.weight * loss)
    const dA = await gemm({ data: dCam, rows: rows.length * cells, cols: C }, { data: head.weight, rows: C, cols: K })
    const dWh = await gemm({ data: dCam, rows: rows.length * cells, cols: C, transpose: true }, { data: a, rows: rows.length * cells, cols: K })
    const slot = new Int32Array(n).fill(-1)
    rows.forEach((i, r) => (slot[i] = r))
    return { dA, dWh, slot }
  }
  return {
    inputSize: cells * Cin,
    cells,
    params: [
      { name: 'block.weight', data: block.weight, decay: true, lrScale: blockLrScale },
      { name: 'block.bias', data: block.bias, decay: false, lrScale: blockLrScale },
      { name: 'head.weight', data: head.weight, decay: true, lrScale: 1 },
      { name: 'head.bias', data: head.bias, decay: false, lrScale: 1 },
    ],
    forward: async (x, n) => headLogits((await activations(x, n)).pooled, n),
    pooled: async (x, n) => (await activations(x, n)).pooled,
    cams: async (x, n) =>
      camsOf(
        clamped(
          (await activations(x, n)).z,
          Array.from({ length: n }, (_, i) => i),
        ),
        n,
      ),
    async backward(x, n, dropout, lossGrad, localization) {
      const { z, pooled } = await activations(x, n)
      // Before z is overwritten by dZ below: the box term reads the activations themselves.
      const boxed = await localizationGradient(z, n, localization)
      const mask = dropoutInPlace(pooled, dropout)
      const g = lossGrad(await headLogits(pooled, n))
      const gradWh = await gemm({ data: g, rows: n, cols: C, transpose: true }, { data: pooled, rows: n, cols: K })
      const dPooled = await gemm({ data: g, rows: n, cols: C }, { data: head.weight, rows: C, cols: K })
      for (let j = 0; j < dPooled.length; j++) dPooled[j] *= mask[j] / cells
      // z becomes dZ in place: the pooled gradient where the clamp is not saturated, else 0.
      const gradBb = new Float32Array(K)
      for (let i = 0; i < n; i++) {
        const p = i * K
        const r = boxed ? boxed.slot[i] : -1
        // a boxed row's map gradient adds to every cell's activation gradient, through the same clamp gate
        const extra = r >= 0 ? boxed!.dA.subarray(r * cells * K, (r + 1) * cells * K) : null
        for (let c = 0, o = i * cells * K; c < cells; c++) {
          for (let k = 0; k < K; k++, o++) {
            const d = z[o] > lo && z[o] < hi ? dPooled[p + k] + (extra ? extra[c * K + k] : 0) : 0
            z[o] = d
            gradBb[k] += d
          }
        }
      }
      const gradWb = await gemm({ data: z, rows: n * cells, cols: K, transpose: true }, { data: x, rows: n * cells, cols: Cin })
      if (boxed) for (let j = 0; j < gradWh.length; j++) gradWh[j] += boxed.dWh[j]
      return [gradWb, gradBb, gradWh, columnSums(g, C)]
    },
  }
}
