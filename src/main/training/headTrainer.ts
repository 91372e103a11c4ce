import { matmul } from '../explain/matmulKernel'
import { delong } from '../evaluation/roc'
import { seededRandom } from '../../shared/random'

export interface TrainingSet {
  /** [n × K] pooled backbone features, row-major */
  x: Float32Array
  /** [n × C] 0/1 labels */
  y: Uint8Array
  n: number
}

export interface TrainOptions {
  loss: 'bce' | 'focal'
  focalGamma: number
  learningRate: number
  l2: number
  dropout: number
  maxEpochs: number
  patience: number
  batchSize: number
  /** positive-class weights n_neg/n_pos (class balancing), or none */
  balance: 'weights' | 'none'
  seed: number
  signal?: AbortSignal
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  loss: 'bce', focalGamma: 2, learningRate: 1e-3, l2: 1e-4, dropout: 0.2, maxEpochs: 60, patience: 8, batchSize: 64, balance: 'weights', seed: 1,
}

export interface EpochReport {
  epoch: number
  loss: number
  valMacroAuroc: number | null
  learningRate: number
  seconds: number
}

export interface LinearHead {
  /** [C × K] */
  weight: Float32Array
  bias: Float32Array
}


/** Logits [n × C] of a linear head: one [C×K]·[K×n] product on ORT's kernel. */
export async function headLogits(head: LinearHead, x: Float32Array, n: number, K: number): Promise<Float32Array> {
  const C = head.bias.length
  const xt = new Float32Array(K * n)
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) xt[k * n + i] = x[i * K + k]
  const product = await matmul(head.weight, C, xt, K, n) // [C × n]
  const out = new Float32Array(n * C)
  for (let c = 0; c < C; c++) for (let i = 0; i < n; i++) out[i * C + c] = product[c * n + i] + head.bias[c]
  return out
}

export async function macroAuroc(head: LinearHead, set: TrainingSet, K: number): Promise<{ macro: number | null; perClass: Array<number | null> }> {
  const C = head.bias.length
  const logits = await headLogits(head, set.x, set.n, K)
  const perClass = Array.from({ length: C }, (_, c) => {
    const scores = Array.from({ length: set.n }, (_, i) => logits[i * C + c])
    const labels = Array.from({ length: set.n }, (_, i) => set.y[i * C + c])
    return delong(scores, labels)?.auc ?? null
  })
  const defined = perClass.filter((v): v is number => v !== null)
  return { macro: defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : null, perClass }
}

/**
 * Trains a linear head (the model's last layer) on cached features: BCE or focal loss with optional
 * class weights, inverted dropout on the features, L2, Adam, ReduceLROnPlateau (×0.3 after 3 flat
 * epochs) and early stopping on validation macro AUROC; returns the best epoch's head. The two
 * large products per batch (logits and the weight gradient) run on ONNX Runtime's kernel.
 */
export async function trainLinearHead(init: LinearHead, train: TrainingSet, val: TrainingSet, K: number, options: TrainOptions, onEpoch?: (r: EpochReport) => void) {
  const C = init.bias.length
  const head: LinearHead = { weight: Float32Array.from(init.weight), bias: Float32Array.from(init.bias) }
  const positives = new Float64Array(C)
  for (let i = 0; i < train.n; i++) for (let c = 0; c < C; c++) positives[c] += train.y[i * C + c]
  const posWeight = Array.from(positives, (p) => (options.balance === 'weights' && p > 0 ? (train.n - p) / p : 1))
  const m = { w: new Float32Array(head.weight.length), b: new Float32Array(C) }
  const v = { w: new Float32Array(head.weight.length), b: new Float32Array(C) }
  let step = 0
  let lr = options.learningRate
  const random = seededRandom(options.seed)
  let best = { auroc: -Infinity, epoch: 0, head: { weight: Float32Array.from(head.weight), bias: Float32Array.from(head.bias) } }
  let flat = 0
  const history: EpochReport[] = []
  const order = Array.from({ length: train.n }, (_, i) => i)
  for (let epoch = 1; epoch <= options.maxEpochs; epoch++) {
    if (options.signal?.aborted) throw new Error('Training cancelled')
    const started = performance.now()
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[order[i], order[j]] = [order[j], order[i]]
    }
    let lossSum = 0
    for (let start = 0; start < train.n; start += options.batchSize) {
      const rows = order.slice(start, start + options.batchSize)
      const n = rows.length
      const keep = 1 - options.dropout
      const xb = new Float32Array(n * K)
      rows.forEach((r, i) => {
        for (let k = 0; k < K; k++) xb[i * K + k] = random() < keep ? train.x[r * K + k] / keep : 0
      })
      const logits = await headLogits(head, xb, n, K)
      const grad = new Float32Array(C * n) // dLoss/dlogit, [C × n] for the weight-gradient product
      const gradBias = new Float32Array(C)
      rows.forEach((r, i) => {
        for (let c = 0; c < C; c++) {
          const z = logits[i * C + c]
          const y = train.y[r * C + c]
          const p = 1 / (1 + Math.exp(-z))
          const w = y ? posWeight[c] : 1
          let g: number
          if (options.loss === 'focal') {
            const pt = y ? p : 1 - p
            const gamma = options.focalGamma
            lossSum += -w * (1 - pt) ** gamma * Math.log(Math.max(pt, 1e-12))
            // d/dz of −(1−pt)^γ log pt, with dpt/dz = ±p(1−p)
            const dpt = (y ? 1 : -1) * p * (1 - p)
            g = w * (gamma * (1 - pt) ** (gamma - 1) * Math.log(Math.max(pt, 1e-12)) - (1 - pt) ** gamma / Math.max(pt, 1e-12)) * dpt
          } else {
            lossSum += -w * (y ? Math.log(Math.max(p, 1e-12)) : Math.log(Math.max(1 - p, 1e-12)))
            g = w * (p - y)
          }
          grad[c * n + i] = g / n
          gradBias[c] += g / n
        }
      })
      const gradW = await matmul(grad, C, xb, n, K) // [C × K]
      step++
      const b1 = 0.9, b2 = 0.999, eps = 1e-8
      const c1 = 1 - b1 ** step
      const c2 = 1 - b2 ** step
      for (let i = 0; i < head.weight.length; i++) {
        const g = gradW[i] + options.l2 * head.weight[i]
        m.w[i] = b1 * m.w[i] + (1 - b1) * g
        v.w[i] = b2 * v.w[i] + (1 - b2) * g * g
        head.weight[i] -= (lr * (m.w[i] / c1)) / (Math.sqrt(v.w[i] / c2) + eps)
      }
      for (let c = 0; c < C; c++) {
        m.b[c] = b1 * m.b[c] + (1 - b1) * gradBias[c]
        v.b[c] = b2 * v.b[c] + (1 - b2) * gradBias[c] * gradBias[c]
        head.bias[c] -= (lr * (m.b[c] / c1)) / (Math.sqrt(v.b[c] / c2) + eps)
      }
    }
    const { macro } = await macroAuroc(head, val, K)
    const report = { epoch, loss: lossSum / (train.n * C), valMacroAuroc: macro, learningRate: lr, seconds: (performance.now() - started) / 1000 }
    history.push(report)
    onEpoch?.(report)
    if (macro !== null && macro > best.auroc + 1e-4) {
      best = { auroc: macro, epoch, head: { weight: Float32Array.from(head.weight), bias: Float32Array.from(head.bias) } }
      flat = 0
    } else {
      flat++
      if (flat % 3 === 0) lr *= 0.3 // ReduceLROnPlateau
      if (flat >= options.patience) break
    }
  }
  return { head: best.head, bestEpoch: best.epoch, bestValMacroAuroc: best.auroc, history }
}
