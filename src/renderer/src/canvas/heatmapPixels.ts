/**
 * Heatmap values → displayable pixels. Pure: numbers in, a row-major RGBA buffer out (no Konva or
 * DOM types); the canvas component wraps the buffer in ImageData and draws it stretched over the
 * image with smoothing on. The values are first upsampled bilinearly here (interpolating VALUES, then
 * colouring, so jet does not pass through false colours between cells and 8×8 cells leave no
 * visible steps); the browser's smoothing only has the last, gentle stretch to do.
 *
 * Normalization depends on the method: class-activation maps (Grad-CAM, Grad-CAM++, CAM,
 * Eigen-CAM) are min–max scaled; attribution maps that carry a sign (occlusion, Kernel SHAP, layer
 * SHAP) show evidence FOR the finding only: max(v, 0) / max.
 */
import { colormapLut, type ColormapName } from './colormaps'

export type Normalization = 'minmax' | 'positive'

const SIGNED_METHODS: ReadonlySet<string> = new Set(['occlusion', 'kernelshap', 'layershap'])

export function normalizationFor(method: string): Normalization {
  return SIGNED_METHODS.has(method) ? 'positive' : 'minmax'
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
 * Normalized values → RGBA bytes (4 per value). Min–max maps are opaque everywhere (the usual
 * CAM look; the overlay opacity does the blending); positive-only maps fade to transparent towards
 * zero so that "no evidence" does not tint the image.
 */
export function heatmapRgba(normalized: ArrayLike<number>, colormap: ColormapName, mode: Normalization): Uint8ClampedArray<ArrayBuffer> {
  const lut = colormapLut(colormap)
  const rgba = new Uint8ClampedArray(normalized.length * 4)
  for (let i = 0; i < normalized.length; i++) {
    const v = Math.min(1, Math.max(0, normalized[i]!))
    const entry = Math.round(v * 255) * 3
    rgba[i * 4] = lut[entry]!
    rgba[i * 4 + 1] = lut[entry + 1]!
    rgba[i * 4 + 2] = lut[entry + 2]!
    rgba[i * 4 + 3] = mode === 'minmax' ? 255 : Math.round(Math.min(1, v * 3) * 255)
  }
  return rgba
}

/**
 * Bilinear resampling of a w×h row-major grid to W×H. Cell centres map to cell centres (each value
 * covers its cell of the whole image); beyond the outer centres the edge values hold.
 */
export function upsampleBilinear(values: ArrayLike<number>, w: number, h: number, W: number, H: number): Float32Array {
  const out = new Float32Array(W * H)
  for (let y = 0; y < H; y++) {
    const sy = Math.min(h - 1, Math.max(0, ((y + 0.5) * h) / H - 0.5))
    const y0 = Math.floor(sy)
    const y1 = Math.min(h - 1, y0 + 1)
    const ty = sy - y0
    for (let x = 0; x < W; x++) {
      const sx = Math.min(w - 1, Math.max(0, ((x + 0.5) * w) / W - 0.5))
      const x0 = Math.floor(sx)
      const x1 = Math.min(w - 1, x0 + 1)
      const tx = sx - x0
      const top = values[y0 * w + x0]! * (1 - tx) + values[y0 * w + x1]! * tx
      const bottom = values[y1 * w + x0]! * (1 - tx) + values[y1 * w + x1]! * tx
      out[y * W + x] = top * (1 - ty) + bottom * ty
    }
  }
  return out
}

/** Longest side of the intermediate (upsampled) map: enough for smooth gradients, cheap to build. */
export const RENDER_SIZE = 256

/**
 * Everything the overlay needs in one call: normalized, upsampled by a whole factor to about
 * RENDER_SIZE on the longer side, coloured. `width`/`height` are those of the returned pixels.
 */
export function renderHeatmap(
  map: { width: number; height: number; values: ArrayLike<number>; method: string },
  colormap: ColormapName,
  renderSize = RENDER_SIZE,
): { width: number; height: number; rgba: Uint8ClampedArray<ArrayBuffer> } {
  if (map.width <= 0 || map.height <= 0 || map.values.length !== map.width * map.height) {
    throw new Error(`Heatmap is ${map.width}×${map.height} but has ${map.values.length} values`)
  }
  const mode = normalizationFor(map.method)
  const factor = Math.max(1, Math.floor(renderSize / Math.max(map.width, map.height)))
  const width = map.width * factor
  const height = map.height * factor
  const normalized = normalizeHeatmap(map.values, mode)
  const smooth = factor === 1 ? normalized : upsampleBilinear(normalized, map.width, map.height, width, height)
  return { width, height, rgba: heatmapRgba(smooth, colormap, mode) }
}
