/**
 * Two changes to the label loss that soften its targets, each off unless asked for (so runs without
 * them take exactly the code path, and produce exactly the weights, they did before):
 *
 * - **Label smoothing** (ε): the BCE target of every finding becomes y·(1 − ε) + ε/2, so the model is
 *   not pushed to infinite logits on NIH's text-mined (noisy) labels. Positive-class weights still
 *   scale the positive part: L = −w·t·log p − (1 − t)·log(1 − p), dL/dz = p·(w·t + 1 − t) − w·t.
 * - **Distillation** (β): on the training rows that have a teacher's probabilities q (another model's
 *   output on the same image, e.g. the CheXNet reproduction's test-fold predictions), a second BCE
 *   term toward q, β·Σ_c −(q·log p + (1 − q)·log(1 − p)), whose gradient is β·(p − q). Rows without a
 *   teacher get none. Both are averaged over the batch like the label loss.
 *
 * Gradients are written out by hand like the rest of the trainer and checked by finite differences
 * (tests/unit/softTargets.test.ts).
 */

const EPS = 1e-12
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z))

/**
 * Positive-weighted BCE against smoothed targets; loss summed, gradient divided by n (as the plain
 * loss). `labels` may be soft already (mixup's blends of two rows' labels); ε then smooths those.
 */
export function smoothedBce(
  logits: Float32Array,
  labels: ArrayLike<number>,
  n: number,
  C: number,
  posWeight: number[],
  smoothing: number,
): { loss: number; grad: Float32Array } {
  const grad = new Float32Array(n * C)
  let loss = 0
  for (let j = 0; j < n * C; j++) {
    const p = sigmoid(logits[j])
    const t = labels[j] * (1 - smoothing) + smoothing / 2
    const w = posWeight[j % C]
    loss += -w * t * Math.log(Math.max(p, EPS)) - (1 - t) * Math.log(Math.max(1 - p, EPS))
    grad[j] = (p * (w * t + 1 - t) - w * t) / n
  }
  return { loss, grad }
}

/**
 * Adds β × the distillation gradient into `grad` (d loss / d logits, [n × C]) for the rows whose
 * teacher probabilities are given (`teacher[i]`, C values in the model's finding order, or null), and
 * returns the added (β-weighted) loss.
 */
export function addDistillation(logits: Float32Array, grad: Float32Array, teacher: Array<Float32Array | null>, n: number, C: number, weight: number): number {
  let loss = 0
  for (let i = 0; i < n; i++) {
    const q = teacher[i]
    if (!q) continue
    for (let c = 0; c < C; c++) {
      const j = i * C + c
      const p = sigmoid(logits[j])
      loss += -weight * (q[c] * Math.log(Math.max(p, EPS)) + (1 - q[c]) * Math.log(Math.max(1 - p, EPS)))
      grad[j] += (weight * (p - q[c])) / n
    }
  }
  return loss
}
