/**
 * Localization agreement between a heatmap and radiologist boxes, as the literature measures it:
 * ChestX-ray8 (Wang et al. 2017): heatmap → binary mask → connected components → boxes; a ground-truth
 * box counts as found at T when some predicted box has IoBB ≥ T (intersection over the predicted box).
 * CheXlocalize (Saporta et al. 2022): IoU of the thresholded mask with the box region, and the
 * pointing game (the map's maximum inside a box). Everything runs on a grid of `width × height` cells.
 */
export interface Rect {
  x: number
  y: number
  w: number
  h: number
}

/** Otsu's threshold (maximum between-class variance) of values in [0, 1], over 256 bins. */
export function otsuThreshold(values: ArrayLike<number>): number {
  const histogram = new Float64Array(256)
  for (let i = 0; i < values.length; i++) histogram[Math.min(255, Math.max(0, Math.floor(values[i] * 255.999)))]++
  const total = values.length
  let sumAll = 0
  for (let i = 0; i < 256; i++) sumAll += i * histogram[i]
  let weightBackground = 0
  let sumBackground = 0
  let best = { t: 0, variance: -1 }
  for (let t = 0; t < 256; t++) {
    weightBackground += histogram[t]
    if (weightBackground === 0) continue
    const weightForeground = total - weightBackground
    if (weightForeground === 0) break
    sumBackground += t * histogram[t]
    const meanB = sumBackground / weightBackground
    const meanF = (sumAll - sumBackground) / weightForeground
    const variance = weightBackground * weightForeground * (meanB - meanF) ** 2
    if (variance > best.variance) best = { t, variance }
  }
  return (best.t + 1) / 256 // values above bin t are foreground
}

/** Bounding boxes of the 8-connected components of a binary mask. */
export function componentBoxes(mask: Uint8Array, width: number, height: number): Rect[] {
  const label = new Int32Array(width * height).fill(-1)
  const boxes: Rect[] = []
  const stack: number[] = []
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || label[start] >= 0) continue
    let minX = width,
      minY = height,
      maxX = -1,
      maxY = -1
    label[start] = boxes.length
    stack.push(start)
    while (stack.length) {
      const p = stack.pop()!
      const x = p % width
      const y = (p - x) / width
      if (x < minX) minX = x
      if (x > maxX) maxX = x
      if (y < minY) minY = y
      if (y > maxY) maxY = y
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx
          const ny = y + dy
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue
          const q = ny * width + nx
          if (mask[q] && label[q] < 0) {
            label[q] = boxes.length
            stack.push(q)
          }
        }
      }
    }
    boxes.push({ x: minX, y: minY, w: maxX - minX + 1, h: maxY - minY + 1 })
  }
  return boxes
}

export function intersection(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x)
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y)
  return w > 0 && h > 0 ? w * h : 0
}

export function iou(a: Rect, b: Rect): number {
  const inter = intersection(a, b)
  return inter / (a.w * a.h + b.w * b.h - inter)
}

/** Intersection over the predicted (detected) box, as ChestX-ray8 defines IoBB. */
export function iobb(predicted: Rect, truth: Rect): number {
  return intersection(predicted, truth) / (predicted.w * predicted.h)
}

/** A rectangle's cells on the grid (fractional edges: a cell counts when its centre is inside). */
export function rectMask(rects: Rect[], width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height)
  for (const r of rects) {
    const x0 = Math.max(0, Math.ceil(r.x - 0.5))
    const x1 = Math.min(width, Math.ceil(r.x + r.w - 0.5))
    const y0 = Math.max(0, Math.ceil(r.y - 0.5))
    const y1 = Math.min(height, Math.ceil(r.y + r.h - 0.5))
    for (let y = y0; y < y1; y++) mask.fill(1, y * width + x0, y * width + x1)
  }
  return mask
}

export function maskIou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0
  let union = 0
  for (let i = 0; i < a.length; i++) {
    if (a[i] && b[i]) inter++
    if (a[i] || b[i]) union++
  }
  return union ? inter / union : 0
}

export interface LocalizationScore {
  /** per ground-truth box: the best IoBB over predicted boxes */
  bestIobb: number[]
  /** IoU of the thresholded mask with the union of this finding's boxes */
  maskIou: number
  /** the map's maximum falls inside one of the boxes */
  hit: boolean
  predictedBoxes: Rect[]
}

/** Scores one normalized map (values in [0, 1], `width × height`) against the boxes of one finding. */
export function scoreHeatmap(values: Float32Array, width: number, height: number, truth: Rect[], threshold: number): LocalizationScore {
  const mask = new Uint8Array(values.length)
  let argmax = 0
  for (let i = 0; i < values.length; i++) {
    if (values[i] >= threshold) mask[i] = 1
    if (values[i] > values[argmax]) argmax = i
  }
  const predictedBoxes = componentBoxes(mask, width, height)
  const px = (argmax % width) + 0.5
  const py = Math.floor(argmax / width) + 0.5
  return {
    bestIobb: truth.map((t) => Math.max(0, ...predictedBoxes.map((p) => iobb(p, t)))),
    maskIou: maskIou(mask, rectMask(truth, width, height)),
    hit: truth.some((t) => px >= t.x && px <= t.x + t.w && py >= t.y && py <= t.y + t.h),
    predictedBoxes,
  }
}

/** The same measures for a fixed box used as the prediction (the localization prior baseline). */
export function scoreFixedBox(box: Rect, width: number, height: number, truth: Rect[]): LocalizationScore {
  const cx = box.x + box.w / 2
  const cy = box.y + box.h / 2
  return {
    bestIobb: truth.map((t) => iobb(box, t)),
    maskIou: maskIou(rectMask([box], width, height), rectMask(truth, width, height)),
    hit: truth.some((t) => cx >= t.x && cx <= t.x + t.w && cy >= t.y && cy <= t.y + t.h),
    predictedBoxes: [box],
  }
}
