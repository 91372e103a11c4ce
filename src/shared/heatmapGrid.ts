/**
 * Heatmap grid math shared by the core (evaluation, dashboard, overlays) and the viewer's IoU panel,
 * so both compute the same numbers: bilinear resize with pixel-centre alignment, normalization, and
 * the evaluation grid the localization measures run on.
 */
import { methodFacts } from './explainMethods'

export type NormalizeMode = 'minmax' | 'positive'

/** Grid on which masks and boxes are compared (the heatmap is upsampled to it). */
export const EVAL_GRID = 224

export function checkMap(map: ArrayLike<number>, height: number, width: number): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new Error(`heatmap size must be positive integers, got ${height}×${width}`)
  }
  if (map.length !== height * width) throw new Error(`heatmap has ${map.length} values, expected ${height}×${width} = ${height * width}`)
}

/**
 * For each output index along one axis: the two source indices and the weight of the second.
 * Pixel-centre alignment (torch align_corners=False): src = (dst + 0.5)·in/out − 0.5, clamped at 0,
 * with the upper neighbour clamped to the last sample so edges hold their value.
 */
function axisTaps(size: number, outSize: number): { lo: Int32Array; hi: Int32Array; frac: Float32Array } {
  const lo = new Int32Array(outSize)
  const hi = new Int32Array(outSize)
  const frac = new Float32Array(outSize)
  const scale = size / outSize
  for (let i = 0; i < outSize; i++) {
    const src = Math.max(0, (i + 0.5) * scale - 0.5)
    const i0 = Math.min(Math.floor(src), size - 1)
    lo[i] = i0
    hi[i] = Math.min(i0 + 1, size - 1)
    frac[i] = src - i0
  }
  return { lo, hi, frac }
}

/** Bilinear resize of a row-major map, matching F.interpolate(mode='bilinear', align_corners=False). */
export function upsampleBilinear(map: ArrayLike<number>, height: number, width: number, outHeight: number, outWidth: number): Float32Array {
  checkMap(map, height, width)
  if (!Number.isInteger(outHeight) || !Number.isInteger(outWidth) || outHeight < 1 || outWidth < 1) {
    throw new Error(`output size must be positive integers, got ${outHeight}×${outWidth}`)
  }
  const xs = axisTaps(width, outWidth)
  const ys = axisTaps(height, outHeight)
  const out = new Float32Array(outHeight * outWidth)
  // source rows interpolated along x once each; every output row is then one lerp between two of them
  const rows = Array.from({ length: height }, (_, y) => {
    const row = new Float64Array(outWidth)
    const base = y * width
    for (let x = 0; x < outWidth; x++) {
      const a = map[base + xs.lo[x]]
      row[x] = a + (map[base + xs.hi[x]] - a) * xs.frac[x]
    }
    return row
  })
  for (let y = 0; y < outHeight; y++) {
    const top = rows[ys.lo[y]]
    const bottom = rows[ys.hi[y]]
    const fy = ys.frac[y]
    const offset = y * outWidth
    for (let x = 0; x < outWidth; x++) out[offset + x] = top[x] + (bottom[x] - top[x]) * fy
  }
  return out
}

/**
 * Scales a map into [0, 1]. 'minmax' stretches the full range (a flat map carries no evidence, so
 * it becomes zeros); 'positive' keeps only positive evidence, for signed maps such as SHAP.
 */
export function normalizeMap(map: ArrayLike<number>, mode: NormalizeMode): Float32Array {
  const out = new Float32Array(map.length)
  // non-finite cells (a failed perturbation, say) carry no evidence: they neither set the range nor get colour
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < map.length; i++) {
    const v = map[i]
    if (!Number.isFinite(v)) continue
    if (v < min) min = v
    if (v > max) max = v
  }
  if (mode === 'positive') {
    if (!(max > 0)) return out
    for (let i = 0; i < map.length; i++) out[i] = map[i] > 0 && map[i] <= max ? map[i] / max : 0
    return out
  }
  const range = max - min
  if (!(range > 0)) return out
  for (let i = 0; i < map.length; i++) out[i] = Number.isFinite(map[i]) ? (map[i] - min) / range : 0
  return out
}

/**
 * A stored low-resolution map as the evaluation sees it: resized to EVAL_GRID², then normalized
 * (a signed method's map by its positive part only: evidence for the finding is what is scored).
 */
export function evaluationGrid(values: ArrayLike<number>, height: number, width: number, method: string): Float32Array {
  return normalizeMap(upsampleBilinear(values, height, width, EVAL_GRID, EVAL_GRID), methodFacts(method).signed ? 'positive' : 'minmax')
}
