/**
 * The core's localization pipeline, step for step, so the IoU panel shows the dashboard's numbers:
 * the low-resolution map is resized bilinearly to 224×224 (align_corners=false, same arithmetic
 * order as main/explain/heatmapRender.ts), normalized AFTER resizing (min–max, or positive-only for
 * signed methods), boxes become fractions of the image × 224, and src/shared/localization.ts scores.
 */
import { iou, otsuThreshold, scoreHeatmap, type Rect } from '../../../shared/localization'

export const EVAL_GRID = 224
const SIGNED: ReadonlySet<string> = new Set(['occlusion', 'kernelshap', 'layershap'])

function axisTaps(size: number, outSize: number) {
  const lo = new Int32Array(outSize)
  const hi = new Int32Array(outSize)
  const frac = new Float64Array(outSize)
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

/** F.interpolate(mode='bilinear', align_corners=False): rows along x first, then one lerp per output row. */
export function resizeBilinear(map: ArrayLike<number>, height: number, width: number, outHeight: number, outWidth: number): Float32Array {
  const xs = axisTaps(width, outWidth)
  const ys = axisTaps(height, outHeight)
  const out = new Float32Array(outHeight * outWidth)
  const rows = Array.from({ length: height }, (_, y) => {
    const row = new Float64Array(outWidth)
    for (let x = 0; x < outWidth; x++) {
      const a = map[y * width + xs.lo[x]!]!
      row[x] = a + (map[y * width + xs.hi[x]!]! - a) * xs.frac[x]!
    }
    return row
  })
  for (let y = 0; y < outHeight; y++) {
    const top = rows[ys.lo[y]!]!
    const bottom = rows[ys.hi[y]!]!
    const fy = ys.frac[y]!
    for (let x = 0; x < outWidth; x++) out[y * outWidth + x] = top[x]! + (bottom[x]! - top[x]!) * fy
  }
  return out
}

export function normalizeGrid(map: ArrayLike<number>, positive: boolean): Float32Array {
  const out = new Float32Array(map.length)
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < map.length; i++) {
    const v = map[i]!
    if (!Number.isFinite(v)) continue
    if (v < min) min = v
    if (v > max) max = v
  }
  if (positive) {
    if (!(max > 0)) return out
    for (let i = 0; i < map.length; i++) out[i] = map[i]! > 0 && map[i]! <= max ? map[i]! / max : 0
    return out
  }
  const range = max - min
  if (!(range > 0)) return out
  for (let i = 0; i < map.length; i++) out[i] = Number.isFinite(map[i]!) ? (map[i]! - min) / range : 0
  return out
}

export function gridValues(map: { values: ArrayLike<number>; width: number; height: number; method: string }): Float32Array {
  return normalizeGrid(resizeBilinear(map.values, map.height, map.width, EVAL_GRID, EVAL_GRID), SIGNED.has(map.method))
}

export const defaultThreshold = otsuThreshold

export function boxToGrid(b: Rect, imageWidth: number, imageHeight: number): Rect {
  const f = { x: b.x / imageWidth, y: b.y / imageHeight, w: b.w / imageWidth, h: b.h / imageHeight }
  return { x: f.x * EVAL_GRID, y: f.y * EVAL_GRID, w: f.w * EVAL_GRID, h: f.h * EVAL_GRID }
}

export function gridToImage(r: Rect, imageWidth: number, imageHeight: number): Rect {
  return { x: (r.x / EVAL_GRID) * imageWidth, y: (r.y / EVAL_GRID) * imageHeight, w: (r.w / EVAL_GRID) * imageWidth, h: (r.h / EVAL_GRID) * imageHeight }
}

export interface BoxScore {
  id: number
  /** best IoU of this box with any thresholded region's box */
  iou: number
  iobb: number
  hit: boolean
}

/** Scores every box on its own against the thresholded map; also returns the regions' boxes (grid cells). */
export function scoreBoxes(values: Float32Array, boxes: ReadonlyArray<Rect & { id: number }>, imageWidth: number, imageHeight: number, threshold: number) {
  const predicted = scoreHeatmap(values, EVAL_GRID, EVAL_GRID, [], threshold).predictedBoxes
  const rows: BoxScore[] = boxes.map((box) => {
    const truth = boxToGrid(box, imageWidth, imageHeight)
    const score = scoreHeatmap(values, EVAL_GRID, EVAL_GRID, [truth], threshold)
    return { id: box.id, iou: Math.max(0, ...predicted.map((p) => iou(p, truth))), iobb: score.bestIobb[0] ?? 0, hit: score.hit }
  })
  return { rows, predicted }
}
