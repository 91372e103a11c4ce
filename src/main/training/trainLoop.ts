import { delong } from '../stats/roc'
import { seededRandom } from '../../shared/random'
import type { EpochReport, KeepEpoch } from '../../shared/jobs'
import type { RowSet } from './rowSet'
import type { BoxTarget } from './camLoss'
import { boxLossColumnOf, type BoxLoss } from './boxLoss'
import type { Trainable } from './trainables'
import { mixBatch } from './mixup'
import { addDistillation, smoothedBce } from './softTargets'

export interface TrainOptions {
  loss: 'bce' | 'focal'
  focalGamma: number
  learningRate: number
  /** the last block's learning rate as a fraction of the head's (it starts pretrained) */
  blockLrScale: number
  l2: number
  dropout: number
  maxEpochs: number
  patience: number
  batchSize: number
  /** class balancing: positive-class weights n_neg/n_pos, SMOTE in feature space, or none */
  balance: 'weights' | 'smote' | 'none'
  /** SMOTE neighbours per synthetic point */
  smoteK: number
  /** SMOTE tops each finding's training positives up to this fraction of its negatives (at most 4× the real ones) */
  smoteRatio: number
  seed: number
  /** label smoothing ε (BCE only; absent or 0: none — left out of the defaults so older runs keep their configuration hash) */
  labelSmoothing?: number
  /** mixup α on the trained layers' cached inputs (BCE only; absent or 0: none), see mixup.ts */
  mixup?: number
  /** box supervision's localization term (absent: `mass`; left out of the defaults so older runs keep their configuration hash), see boxLoss.ts */
  boxLoss?: BoxLoss
  /** the fill term's temperature τ (absent: 2, fillLoss.ts; left out of the defaults so older runs keep their configuration hash) */
  fillTemperature?: number
  /** the level term's weight (a multiple of λ) beside a fill term (absent: none, so older runs keep their configuration hash), see fillLoss.ts */
  levelWeight?: number
  /**
   * which epoch's weights the run keeps: the best validation macro AUROC (absent, every earlier run), or
   * the last of `maxEpochs` (no early stopping): box supervision shapes the map over more epochs than
   * AUROC-based stopping lets it, and the ship rule checks AUROC on the kept weights anyway
   */
  keepEpoch?: KeepEpoch
}


export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  loss: 'bce', focalGamma: 2, learningRate: 1e-3, blockLrScale: 0.1, l2: 1e-4, dropout: 0.2, maxEpochs: 60, patience: 8, batchSize: 64,
  balance: 'weights', smoteK: 5, smoteRatio: 0.5, seed: 1,
}

/** Declared in the job map: a training result carries its epoch history to the renderer. */
export type { EpochReport }

/** Everything the loop needs to continue exactly where it stopped (a checkpoint's content). */
export interface TrainerState {
  epoch: number
  step: number
  lr: number
  flat: number
  randomState: number
  order: number[]
  history: EpochReport[]
  best: { auroc: number; epoch: number; params: Float32Array[] }
  params: Float32Array[]
  m: Float32Array[]
  v: Float32Array[]
  done: boolean
}

export async function macroAurocOf(logits: Float32Array, set: RowSet): Promise<{ macro: number | null; perClass: Array<number | null> }> {
  const C = set.classes
  const perClass = Array.from({ length: C }, (_, c) => {
    const scores = Array.from({ length: set.n }, (_, i) => logits[i * C + c])
    const labels = Array.from({ length: set.n }, (_, i) => set.labels[i * C + c])
    return delong(scores, labels)?.auc ?? null
  })
  const defined = perClass.filter((v): v is number => v !== null)
  return { macro: defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : null, perClass }
}

/** Logits of every row of a set, in chunks (a block's inputs are large). */
export async function logitsOf(model: Trainable, set: RowSet, chunk = 128): Promise<Float32Array> {
  const out = new Float32Array(set.n * set.classes)
  for (let start = 0; start < set.n; start += chunk) {
    const rows = Array.from({ length: Math.min(chunk, set.n - start) }, (_, i) => start + i)
    out.set(await model.forward(set.gather(rows), rows.length), start * set.classes)
  }
  return out
}

/** BCE or focal loss with positive-class weights; fills d loss / d logits (mean over the batch). */
function lossGradient(logits: Float32Array, labels: Uint8Array, n: number, C: number, posWeight: number[], options: TrainOptions): { loss: number; grad: Float32Array } {
  const grad = new Float32Array(n * C)
  let loss = 0
  const gamma = options.focalGamma
  for (let j = 0; j < n * C; j++) {
    const y = labels[j]
    const p = 1 / (1 + Math.exp(-logits[j]))
    const w = y ? posWeight[j % C] : 1
    let g: number
    if (options.loss === 'focal') {
      const pt = y ? p : 1 - p
      loss += -w * (1 - pt) ** gamma * Math.log(Math.max(pt, 1e-12))
      // d/dz of −(1−pt)^γ log pt, with dpt/dz = ±p(1−p)
      const dpt = (y ? 1 : -1) * p * (1 - p)
      g = w * (gamma * (1 - pt) ** (gamma - 1) * Math.log(Math.max(pt, 1e-12)) - (1 - pt) ** gamma / Math.max(pt, 1e-12)) * dpt
    } else {
      loss += -w * (y ? Math.log(Math.max(p, 1e-12)) : Math.log(Math.max(1 - p, 1e-12)))
      g = w * (p - y)
    }
    grad[j] = g / n
  }
  return { loss, grad }
}

export function initialState(model: Trainable, n: number, seed: number): TrainerState {
  const params = model.params.map((p) => Float32Array.from(p.data))
  return {
    epoch: 0, step: 0, lr: 0, flat: 0, randomState: seed, order: Array.from({ length: n }, (_, i) => i), history: [],
    best: { auroc: -Infinity, epoch: 0, params: params.map((p) => Float32Array.from(p)) },
    params, m: params.map((p) => new Float32Array(p.length)), v: params.map((p) => new Float32Array(p.length)), done: false,
  }
}

/**
 * Adam with L2, inverted dropout, ReduceLROnPlateau (×0.3 after 3 flat epochs) and early stopping on
 * validation macro AUROC. After every epoch the whole state goes to `onCheckpoint`; given a `resume`
 * state the loop continues from it and ends with the same weights as a run never interrupted (the
 * generator, the shuffled order and the optimizer moments are all part of the state).
 */
export async function trainLoop(
  model: Trainable,
  train: RowSet,
  val: RowSet,
  options: TrainOptions,
  hooks: {
    signal?: AbortSignal
    resume?: TrainerState
    onEpoch?: (r: EpochReport) => void
    onCheckpoint?: (s: TrainerState) => void
    /** box supervision: λ and each training row's box targets (by position in `train`; null or absent: none) */
    boxes?: { weight: number; targets: Array<BoxTarget[] | null> }
    /** distillation: β and each training row's teacher probabilities (by position in `train`; null or absent: none) */
    distill?: { weight: number; targets: Array<Float32Array | null> }
  } = {},
) {
  const boxes = hooks.boxes && hooks.boxes.weight > 0 ? hooks.boxes : undefined
  const distill = hooks.distill && hooks.distill.weight > 0 ? hooks.distill : undefined
  const smoothing = options.labelSmoothing ?? 0
  if (smoothing && options.loss !== 'bce') throw new Error('label smoothing goes with the BCE loss, not focal')
  const mixup = options.mixup ?? 0
  if (mixup && options.loss !== 'bce') throw new Error('mixup goes with the BCE loss, not focal')
  // the box term's options are checked once, before the first epoch, not at the first boxed batch
  boxLossColumnOf(options.boxLoss, options.fillTemperature, options.levelWeight)
  if (mixup && distill) throw new Error('mixup and distillation together are not supported (the teacher has no probabilities for a blend of two images)')
  const C = train.classes
  const state = hooks.resume ?? { ...initialState(model, train.n, options.seed), lr: options.learningRate }
  if (hooks.resume) model.params.forEach((p, i) => p.data.set(state.params[i]))
  state.params = model.params.map((p) => p.data)
  const positives = new Float64Array(C)
  for (let j = 0; j < train.n * C; j++) positives[j % C] += train.labels[j]
  const posWeight = Array.from(positives, (p) => (options.balance === 'weights' && p > 0 ? (train.n - p) / p : 1))
  const random = seededRandom(state.randomState)
  const b1 = 0.9, b2 = 0.999, eps = 1e-8
  while (!state.done && state.epoch < options.maxEpochs) {
    if (hooks.signal?.aborted) throw new Error('Training cancelled; it resumes from the last epoch when run again')
    const started = performance.now()
    const epoch = state.epoch + 1
    const order = state.order
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[order[i], order[j]] = [order[j], order[i]]
    }
    let lossSum = 0
    for (let start = 0; start < train.n; start += options.batchSize) {
      const rows = order.slice(start, start + options.batchSize)
      const n = rows.length
      const labels = new Uint8Array(n * C)
      rows.forEach((r, i) => labels.set(train.labels.subarray(r * C, (r + 1) * C), i * C))
      const localization = boxes && {
        weight: boxes.weight,
        targets: rows.map((r) => boxes.targets[r] ?? null),
        onLoss: (l: number) => (lossSum += l),
        loss: options.boxLoss,
        fillTemperature: options.fillTemperature,
        levelWeight: options.levelWeight,
      }
      // Mixup draws its λ and partners before dropout's draws; without it the generator's sequence is as before.
      const mixed = mixup ? mixBatch(train.gather(rows), n, train.D, labels, C, mixup, random) : null
      const grads = await model.backward(
        mixed ? mixed.x : train.gather(rows),
        n,
        { keep: 1 - options.dropout, random },
        (logits) => {
          // Without smoothing, mixup or distillation this is the loss path of every earlier run, unchanged.
          const soft = mixed ? mixed.targets : smoothing ? labels : null
          const { loss, grad } = soft ? smoothedBce(logits, soft, n, C, posWeight, smoothing) : lossGradient(logits, labels, n, C, posWeight, options)
          lossSum += loss
          if (distill) lossSum += addDistillation(logits, grad, rows.map((r) => distill.targets[r] ?? null), n, C, distill.weight)
          return grad
        },
        localization,
      )
      state.step++
      const c1 = 1 - b1 ** state.step
      const c2 = 1 - b2 ** state.step
      model.params.forEach((param, p) => {
        const { data } = param
        const m = state.m[p]
        const v = state.v[p]
        const gw = grads[p]
        const lr = state.lr * param.lrScale
        const l2 = param.decay ? options.l2 : 0
        for (let i = 0; i < data.length; i++) {
          const g = gw[i] + l2 * data[i]
          m[i] = b1 * m[i] + (1 - b1) * g
          v[i] = b2 * v[i] + (1 - b2) * g * g
          data[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps)
        }
      })
    }
    const { macro } = await macroAurocOf(await logitsOf(model, val), val)
    const report = { epoch, loss: lossSum / (train.n * C), valMacroAuroc: macro, learningRate: state.lr, seconds: (performance.now() - started) / 1000 }
    state.history.push(report)
    state.epoch = epoch
    const keepLast = options.keepEpoch === 'last'
    // The plateau is judged against the best AUROC so far in both modes; only which weights are kept differs.
    const bestSoFar = keepLast ? Math.max(-Infinity, ...state.history.slice(0, -1).map((h) => h.valMacroAuroc ?? -Infinity)) : state.best.auroc
    const snapshot = () => ({ auroc: macro ?? -Infinity, epoch, params: model.params.map((p) => Float32Array.from(p.data)) })
    if (keepLast) state.best = snapshot()
    if (macro !== null && macro > bestSoFar + 1e-4) {
      if (!keepLast) state.best = snapshot()
      state.flat = 0
    } else {
      state.flat++
      if (state.flat % 3 === 0) state.lr *= 0.3 // ReduceLROnPlateau
      if (!keepLast && state.flat >= options.patience) state.done = true
    }
    if (state.epoch >= options.maxEpochs) state.done = true
    state.randomState = random.state
    hooks.onCheckpoint?.(state)
    hooks.onEpoch?.(report)
  }
  return { params: state.best.params, bestEpoch: state.best.epoch, bestValMacroAuroc: state.best.auroc, history: state.history }
}
