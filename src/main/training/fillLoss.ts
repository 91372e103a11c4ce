import type { BoxTarget } from './camLoss'

/**
 * The "fill" localization term: every cell of the feature map is supervised, inside the box positive,
 * outside negative (as Li et al., CVPR 2018, supervise each patch), so the map has to cover the box and
 * stay low elsewhere. The mass loss (camLoss.ts) only asks for the softmax mass inside the box, which a
 * small blob anywhere in it satisfies; the evaluation's Otsu mask of such a map is the blob, not the
 * box (Cardiomegaly's heart box is the case that showed it).
 *
 * The finding's map is standardized over the cells, z_s = (CAM_s − mean) / sd, so the term sees only
 * the map's shape: it is blind to the head's bias and to the map's scale, and its gradient sums to zero
 * over the cells, so to first order it leaves the pooled logit (mean CAM + bias) to the label loss.
 * Then a per-cell logistic loss BCE(σ(τ·z_s), mask_s), inside and outside cells each weighted by
 * 1 / (2 · their count), so a small box is not drowned by the background: the loss is the mean of the
 * inside cells' mean and the outside cells' mean. Its minimum is a two-level map, high on the box and
 * low off it, which is what Otsu on the min–max normalized map turns back into the box.
 *
 * Gradient (by hand, checked by finite differences in tests/unit/fillLoss.test.ts): with
 * g_s = w_s·τ·(σ(τ z_s) − mask_s), dL/dCAM_j = (g_j − mean(g) − z_j · mean(g·z)) / sd.
 */
export const FILL_TEMPERATURE = 2
/** Added to the variance: a flat map (sd 0) gets a finite, small gradient instead of a division by zero. */
const VARIANCE_FLOOR = 1e-6

/** The finding's column of the map standardized over the cells, z_s = (CAM_s − mean) / sd, and that sd. */
function standardized(cam: Float32Array, cells: number, C: number, c: number): { z: Float64Array; sd: number } {
  let mean = 0
  for (let s = 0; s < cells; s++) mean += cam[s * C + c]
  mean /= cells
  let variance = 0
  for (let s = 0; s < cells; s++) variance += (cam[s * C + c] - mean) ** 2
  const sd = Math.sqrt(variance / cells + VARIANCE_FLOOR)
  return { z: Float64Array.from({ length: cells }, (_, s) => (cam[s * C + c] - mean) / sd), sd }
}

/** Adds `scale` × dL/dCAM into column c of `grad`, for a loss whose gradient with respect to z is g. */
function addThroughStandardization(grad: Float32Array, g: Float64Array, z: Float64Array, sd: number, C: number, c: number, scale: number): void {
  const cells = z.length
  let gMean = 0
  let gzMean = 0
  for (let s = 0; s < cells; s++) {
    gMean += g[s]
    gzMean += g[s] * z[s]
  }
  gMean /= cells
  gzMean /= cells
  for (let s = 0; s < cells; s++) grad[s * C + c] += (scale * (g[s] - gMean - z[s] * gzMean)) / sd
}

/**
 * Same signature as boxLossColumn: `cam` is [cells × C] row-major; adds `scale` × dL/dCAM into the
 * finding's column of `grad` and returns the (unscaled) loss. A mask with no cell inside, or no cell
 * outside, carries no supervision (0 loss, no gradient): a standardized map has no shape to fit then.
 */
export function fillLossColumn(
  cam: Float32Array,
  grad: Float32Array,
  cells: number,
  C: number,
  target: BoxTarget,
  scale: number,
  tau = FILL_TEMPERATURE,
): number {
  const c = target.finding
  let inside = 0
  for (let s = 0; s < cells; s++) if (target.mask[s]) inside++
  const outside = cells - inside
  if (inside === 0 || outside === 0) return 0
  const { z, sd } = standardized(cam, cells, C, c)
  const g = new Float64Array(cells)
  let loss = 0
  for (let s = 0; s < cells; s++) {
    const t = tau * z[s]
    const y = target.mask[s] ? 1 : 0
    const w = y ? 1 / (2 * inside) : 1 / (2 * outside)
    // BCE with logits, written to stay finite for any t: log(1 + e^t) − y·t
    loss += w * (Math.max(t, 0) - y * t + Math.log1p(Math.exp(-Math.abs(t))))
    g[s] = w * tau * (1 / (1 + Math.exp(-t)) - y)
  }
  addThroughStandardization(grad, g, z, sd, C, c, scale)
  return loss
}

/**
 * The "level" term beside the fill loss: the variance of the standardized map over the box's cells,
 * L = mean_{s∈box} (z_s − mean_{box} z)². The fill loss only asks the inside cells to stand above the
 * outside ones; a map that does so with a peak passes it, and the evaluation's Otsu threshold then keeps
 * the peak, not the box (3.4.0's Cardiomegaly maps: the mask 0.67 of the heart box's area, while a
 * per-image best threshold would have beaten the prior box). Level asks the inside to be flat, which is
 * what Otsu turns back into the whole box. Same signature and conventions as fillLossColumn (a mask
 * with no cell inside or none outside carries nothing); gradient with respect to z: 2·(z_s − m)/n_in
 * inside, 0 outside, then the same chain rule through the standardization.
 */
export function levelLossColumn(cam: Float32Array, grad: Float32Array, cells: number, C: number, target: BoxTarget, scale: number): number {
  const c = target.finding
  let inside = 0
  for (let s = 0; s < cells; s++) if (target.mask[s]) inside++
  if (inside === 0 || inside === cells) return 0
  const { z, sd } = standardized(cam, cells, C, c)
  let insideMean = 0
  for (let s = 0; s < cells; s++) if (target.mask[s]) insideMean += z[s]
  insideMean /= inside
  let loss = 0
  const g = new Float64Array(cells)
  for (let s = 0; s < cells; s++) {
    if (!target.mask[s]) continue
    const d = z[s] - insideMean
    loss += (d * d) / inside
    // the inside mean's own dependence on z_s sums to zero over the box, so it drops out
    g[s] = (2 * d) / inside
  }
  addThroughStandardization(grad, g, z, sd, C, c, scale)
  return loss
}
