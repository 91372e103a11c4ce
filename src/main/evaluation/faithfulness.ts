/**
 * Deletion and insertion (Petsiuk et al., "RISE", BMVC 2018): pixels are removed from the image (or
 * inserted into a blank) in the order the map ranks them, most important first, and the model's
 * probability for the finding is read after each step. A map that reflects the model makes the
 * probability fall fast on deletion (low AUC) and rise fast on insertion (high AUC); a random map's
 * order is the baseline it must beat. The random map is drawn on the method's own grid and upsampled
 * as the real map is, so both remove smooth regions: a pixel-by-pixel random order (salt-and-pepper
 * images far from anything the model saw) would be a different kind of input, not a fair baseline.
 *
 * As computed: the map is upsampled bilinearly to the model's input (H×W pixels); pixels are ranked by
 * value, descending, ties broken by a seeded random order (a ReLU'd map has many zeros). S steps
 * (default 20, 5 % of the pixels each); step k changes the first round(k·H·W/S) ranked pixels (all
 * channels of a pixel together). Deletion replaces them with the case's blurred image (the app's
 * default background, σ = H/16); insertion starts from that blur and puts the original pixels back.
 * x = the fraction of pixels changed (0…1), y = p_c; AUC by the trapezoid rule, so both lie in [0, 1].
 * Each curve's S + 1 images go to the model as one batch.
 */
import { seededRandom } from '../../shared/random'

export const FAITHFULNESS_STEPS = 20

export interface InputGeometry {
  layout: 'NCHW' | 'NHWC'
  channels: number
  height: number
  width: number
}

/** The model's probability for one finding on each of n images of a batch. */
export type FindingPredictor = (batch: Float32Array, n: number) => Promise<ArrayLike<number>>

export type CurveKind = 'deletion' | 'insertion'

export function trapezoidAuc(ys: ArrayLike<number>): number {
  if (ys.length < 2) throw new Error('a curve needs at least two points')
  const dx = 1 / (ys.length - 1)
  let area = 0
  for (let i = 1; i < ys.length; i++) area += ((ys[i - 1] + ys[i]) / 2) * dx
  return area
}

/** Pixel indices by descending map value; ties in a seeded random order. */
export function rankPixels(map: ArrayLike<number>, seed: number): Int32Array {
  const random = seededRandom(seed)
  const tie = Float64Array.from({ length: map.length }, () => random())
  return Int32Array.from({ length: map.length }, (_, i) => i).sort((a, b) => map[b] - map[a] || tie[a] - tie[b])
}

export function randomOrder(pixels: number, seed: number): Int32Array {
  const random = seededRandom(seed)
  const order = Int32Array.from({ length: pixels }, (_, i) => i)
  for (let i = pixels - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = order[i]
    order[i] = order[j]
    order[j] = t
  }
  return order
}

function copyPixel(target: Float32Array, source: Float32Array, pixel: number, g: InputGeometry): void {
  const plane = g.height * g.width
  if (g.layout === 'NCHW') for (let c = 0; c < g.channels; c++) target[c * plane + pixel] = source[c * plane + pixel]
  else for (let c = 0; c < g.channels; c++) target[pixel * g.channels + c] = source[pixel * g.channels + c]
}

/** The curve's S + 1 probabilities (x = k/S). */
export async function perturbationCurve(
  kind: CurveKind,
  image: Float32Array,
  background: Float32Array,
  order: Int32Array,
  g: InputGeometry,
  predict: FindingPredictor,
  steps = FAITHFULNESS_STEPS,
): Promise<Float64Array> {
  const size = g.channels * g.height * g.width
  const pixels = g.height * g.width
  if (image.length !== size || background.length !== size)
    throw new Error(`faithfulness: image of ${image.length} and background of ${background.length} values, ${size} expected`)
  if (order.length !== pixels) throw new Error(`faithfulness: order of ${order.length} pixels, ${pixels} expected`)
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`faithfulness: steps must be a positive integer, got ${steps}`)
  const [start, end] = kind === 'deletion' ? [image, background] : [background, image]
  const batch = new Float32Array(size * (steps + 1))
  const current = Float32Array.from(start)
  let changed = 0
  for (let k = 0; k <= steps; k++) {
    const target = Math.round((k * pixels) / steps)
    for (; changed < target; changed++) copyPixel(current, end, order[changed], g)
    batch.set(current, k * size)
  }
  return Float64Array.from(await predict(batch, steps + 1))
}

export interface FaithfulnessCase {
  patient: string
  /** the map upsampled to the input, H×W */
  map: ArrayLike<number>
  /** the baseline: a seeded random map on the method's grid, upsampled to the input the same way */
  randomMap: ArrayLike<number>
  image: Float32Array
  background: Float32Array
  seed: number
}

export interface FaithfulnessScores {
  patient: string
  deletion: number
  insertion: number
  random_deletion: number
  random_insertion: number
}

/** Deletion and insertion AUC of the map's order and of the random map's order, for one case and finding. */
export async function faithfulnessOf(
  c: FaithfulnessCase,
  g: InputGeometry,
  predict: FindingPredictor,
  steps = FAITHFULNESS_STEPS,
): Promise<FaithfulnessScores> {
  const ranked = rankPixels(c.map, c.seed)
  const random = rankPixels(c.randomMap, c.seed + 1)
  const auc = async (kind: CurveKind, order: Int32Array) =>
    trapezoidAuc(await perturbationCurve(kind, c.image, c.background, order, g, predict, steps))
  return {
    patient: c.patient,
    deletion: await auc('deletion', ranked),
    insertion: await auc('insertion', ranked),
    random_deletion: await auc('deletion', random),
    random_insertion: await auc('insertion', random),
  }
}
