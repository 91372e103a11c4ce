/**
 * Heatmap values → displayable pixels. Pure: numbers in, a row-major RGBA buffer out (no Konva or
 * DOM types); the canvas component wraps the buffer in ImageData and draws it stretched over the
 * image with smoothing on. The values are first upsampled bilinearly here (interpolating VALUES, then
 * colouring, so jet does not pass through false colours between cells and 8×8 cells leave no
 * visible steps); the browser's smoothing only has the last, gentle stretch to do.
 *
 * How a map is shown follows the method registry (shared/explainMethods): relative scores (the
 * CAMs) are min–max scaled through the chosen colormap; signed attributions (occlusion, Kernel SHAP,
 * layer SHAP) are drawn on a diverging scale around zero, v / max|v|, blue against the finding and
 * red for it, fading to transparent at zero, so both signs and "no effect" read correctly whatever
 * colormap is chosen for the CAMs.
 */
import { methodFacts } from '../../../shared/explainMethods'
import { upsampleBilinear } from '../../../shared/heatmapGrid'
import { colormapLut, type ColormapName } from './colormaps'

/** How values are scaled into [0, 1] for thresholding (as the evaluation scores them). */
export type Normalization = 'minmax' | 'positive'

/** How a map is drawn: min–max through a colormap, or signed around zero. */
export type DisplayScale = 'minmax' | 'diverging'

/** Thresholding and scoring: a signed map by its positive part (evidence for the finding). */
export function normalizationFor(method: string): Normalization {
  return methodFacts(method).signed ? 'positive' : 'minmax'
}

export function displayScaleFor(method: string): DisplayScale {
  return methodFacts(method).signed ? 'diverging' : 'minmax'
}

/** The largest |value| among finite values (the diverging scale's end), 0 when none. */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < values.length; i++) {
    const v = Math.abs(values[i]!)
    if (Number.isFinite(v) && v > m) m = v
  }
  return m
}

/** Values scaled into [−1, 1] by max|v|, zero kept at zero; non-finite values and a zero map give 0. */
export function normalizeSigned(values: ArrayLike<number>): Float32Array {
  const out = new Float32Array(values.length)
  const m = maxAbs(values)
  if (!(m > 0)) return out
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    out[i] = Number.isFinite(v) ? v / m : 0
  }
  return out
}

/** Diverging end and mid colours (ColorBrewer RdBu): blue against, near-white at zero, red for. */
const NEGATIVE = [33, 102, 172] as const
const ZERO = [247, 247, 247] as const
const POSITIVE = [178, 24, 43] as const

/** Signed values in [−1, 1] → RGBA bytes: colour by sign and size, opacity grows with |v|. */
export function divergingRgba(signed: ArrayLike<number>): Uint8ClampedArray<ArrayBuffer> {
  const rgba = new Uint8ClampedArray(signed.length * 4)
  for (let i = 0; i < signed.length; i++) {
    const v = Math.min(1, Math.max(-1, Number.isFinite(signed[i]!) ? signed[i]! : 0))
    const end = v < 0 ? NEGATIVE : POSITIVE
    const t = Math.abs(v)
    for (let ch = 0; ch < 3; ch++) rgba[i * 4 + ch] = Math.round(ZERO[ch]! + (end[ch]! - ZERO[ch]!) * t)
    rgba[i * 4 + 3] = Math.round(Math.min(1, t * 3) * 255)
  }
  return rgba
}

/** Values scaled into [0, 1]; non-finite values count as 0. A flat map (or no positive value) gives all zeros. */
export function normalizeHeatmap(values: ArrayLike<number>, mode: Normalization): Float32Array {
  const out = new Float32Array(values.length)
  const at = (i: number): number => {
    const v = values[i]!
    return Number.isFinite(v) ? v : 0
  }
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < values.length; i++) {
    const v = at(i)
    if (v < min) min = v
    if (v > max) max = v
  }
  if (mode === 'minmax') {
    const range = max - min
    if (!(range > 0)) return out
    for (let i = 0; i < values.length; i++) out[i] = (at(i) - min) / range
  } else {
    if (!(max > 0)) return out
    for (let i = 0; i < values.length; i++) out[i] = Math.max(at(i), 0) / max
  }
  return out
}

/**
 * Opacity of a min–max value under the alpha ramp: 0 below `floor` (the radiograph shows through
 * untinted), rising linearly to 1 over the next RAMP of the range, so the region the model points
 * at reads as a coloured island with a visible edge. floor 0 keeps the classic opaque CAM look.
 */
export const RAMP = 0.25

export function rampAlpha(v: number, floor: number): number {
  if (!(floor > 0)) return 1
  if (v < floor) return 0
  return Math.min(1, (v - floor) / RAMP)
}

/**
 * Min–max normalized values → RGBA bytes (4 per value) through the colormap, with the alpha ramp
 * above `floor` (0: opaque everywhere; the overlay opacity then does all the blending). Signed
 * maps go through divergingRgba instead.
 */
export function heatmapRgba(normalized: ArrayLike<number>, colormap: ColormapName, floor = 0): Uint8ClampedArray<ArrayBuffer> {
  const lut = colormapLut(colormap)
  const rgba = new Uint8ClampedArray(normalized.length * 4)
  for (let i = 0; i < normalized.length; i++) {
    const v = Math.min(1, Math.max(0, normalized[i]!))
    const entry = Math.round(v * 255) * 3
    rgba[i * 4] = lut[entry]!
    rgba[i * 4 + 1] = lut[entry + 1]!
    rgba[i * 4 + 2] = lut[entry + 2]!
    rgba[i * 4 + 3] = Math.round(rampAlpha(v, floor) * 255)
  }
  return rgba
}

/** Longest side of the intermediate (upsampled) map: enough for smooth gradients, cheap to build. */
export const RENDER_SIZE = 256

/**
 * Everything the overlay needs in one call: normalized (min–max, or signed for a diverging map),
 * upsampled by a whole factor to about RENDER_SIZE on the longer side, coloured (a min–max map
 * transparent below `floor`). `width`/`height` are those of the returned pixels.
 */
export function renderHeatmap(
  map: { width: number; height: number; values: ArrayLike<number>; method: string },
  colormap: ColormapName,
  renderSize = RENDER_SIZE,
  scale: DisplayScale = displayScaleFor(map.method),
  floor = 0,
): { width: number; height: number; rgba: Uint8ClampedArray<ArrayBuffer> } {
  if (map.width <= 0 || map.height <= 0 || map.values.length !== map.width * map.height) {
    throw new Error(`Heatmap is ${map.width}×${map.height} but has ${map.values.length} values`)
  }
  const factor = Math.max(1, Math.floor(renderSize / Math.max(map.width, map.height)))
  const width = map.width * factor
  const height = map.height * factor
  const upsample = (v: Float32Array) => (factor === 1 ? v : upsampleBilinear(v, map.height, map.width, height, width))
  if (scale === 'diverging') return { width, height, rgba: divergingRgba(upsample(normalizeSigned(map.values))) }
  return { width, height, rgba: heatmapRgba(upsample(normalizeHeatmap(map.values, 'minmax')), colormap, floor) }
}
