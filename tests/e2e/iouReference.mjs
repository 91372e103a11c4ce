// The core's localization pipeline reimplemented in plain Node, independently of the app's code
// (see src/shared/heatmapGrid.ts and src/shared/localization.ts), so e2e checks compare the UI's
// numbers with a second computation rather than with themselves.

function taps(size, out) {
  return Array.from({ length: out }, (_, i) => {
    const src = Math.max(0, (i + 0.5) * (size / out) - 0.5)
    const i0 = Math.min(Math.floor(src), size - 1)
    return [i0, Math.min(i0 + 1, size - 1), src - i0]
  })
}
export function grid224({ values, width, height, method }) {
  const N = 224,
    xs = taps(width, N),
    ys = taps(height, N)
  const rows = Array.from({ length: height }, (_, y) =>
    xs.map(([lo, hi, f]) => values[y * width + lo] + (values[y * width + hi] - values[y * width + lo]) * f),
  )
  const out = new Float32Array(N * N)
  ys.forEach(([lo, hi, f], y) => {
    for (let x = 0; x < N; x++) out[y * N + x] = rows[lo][x] + (rows[hi][x] - rows[lo][x]) * f
  })
  const positive = ['occlusion', 'kernelshap', 'layershap'].includes(method)
  let min = Infinity,
    max = -Infinity
  for (const v of out) {
    min = Math.min(min, v)
    max = Math.max(max, v)
  }
  return out.map((v) => (positive ? (v > 0 ? v / max : 0) : (v - min) / (max - min)))
}
export function otsu(values) {
  const h = new Float64Array(256)
  for (const v of values) h[Math.min(255, Math.max(0, Math.floor(v * 255.999)))]++
  let sumAll = 0
  for (let i = 0; i < 256; i++) sumAll += i * h[i]
  let wB = 0,
    sB = 0,
    best = { t: 0, v: -1 }
  for (let t = 0; t < 256; t++) {
    wB += h[t]
    if (!wB) continue
    const wF = values.length - wB
    if (!wF) break
    sB += t * h[t]
    const v = wB * wF * (sB / wB - (sumAll - sB) / wF) ** 2
    if (v > best.v) best = { t, v }
  }
  return (best.t + 1) / 256
}
export function components(mask, W, H) {
  const label = new Int32Array(W * H).fill(-1),
    boxes = []
  for (let s = 0; s < mask.length; s++) {
    if (!mask[s] || label[s] >= 0) continue
    let x0 = W,
      y0 = H,
      x1 = -1,
      y1 = -1
    const stack = [s]
    label[s] = boxes.length
    while (stack.length) {
      const p = stack.pop(),
        x = p % W,
        y = (p - x) / W
      x0 = Math.min(x0, x)
      x1 = Math.max(x1, x)
      y0 = Math.min(y0, y)
      y1 = Math.max(y1, y)
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx,
            ny = y + dy,
            q = ny * W + nx
          if (nx >= 0 && ny >= 0 && nx < W && ny < H && mask[q] && label[q] < 0) {
            label[q] = boxes.length
            stack.push(q)
          }
        }
    }
    boxes.push({ x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 })
  }
  return boxes
}
export function iou(a, b) {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x),
    h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y)
  const inter = w > 0 && h > 0 ? w * h : 0
  return inter / (a.w * a.h + b.w * b.h - inter)
}
export function expectedIou(map, box) {
  const values = grid224(map),
    t = otsu(values)
  const predicted = components(
    values.map((v) => (v >= t ? 1 : 0)),
    224,
    224,
  )
  const g = {
    x: (box.x / map.imageWidth) * 224,
    y: (box.y / map.imageHeight) * 224,
    w: (box.w / map.imageWidth) * 224,
    h: (box.h / map.imageHeight) * 224,
  }
  return Math.max(0, ...predicted.map((p) => iou(p, g)))
}

/**
 * Min–max (CAM methods) or positive-part (signed attribution methods) scaling to [0, 1], as the
 * overlay does; rounded to float32 as the app stores it, so Otsu's bins come out the same.
 */
export function normalize(values, method) {
  const positive = ['occlusion', 'kernelshap', 'layershap'].includes(method)
  const finite = values.map((v) => (Number.isFinite(v) ? v : 0))
  const min = Math.min(...finite),
    max = Math.max(...finite)
  if (positive) return finite.map((v) => (max > 0 ? Math.fround(Math.max(v, 0) / max) : 0))
  return finite.map((v) => (max > min ? Math.fround((v - min) / (max - min)) : 0))
}

/** "Threshold to mask" at the map's own resolution: cells at or above Otsu's threshold of the normalized map → 1. */
export function otsuMask(values, method) {
  const normalized = normalize(values, method)
  const t = otsu(normalized)
  return normalized.map((v) => (v >= t ? 1 : 0))
}
