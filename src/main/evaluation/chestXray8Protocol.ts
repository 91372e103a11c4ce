/**
 * The ChestX-ray8 paper's own localization protocol (Wang et al. 2017, section 4.2 and Table 4), so
 * the paper's row is compared like for like: each map min–max normalized and quantized to [0, 255]
 * (8-bit, rounded), thresholded at 60 and at 180 separately (a cell is foreground when its value is
 * > the threshold, as an 8-bit binary threshold), each binary map split into 8-connected components and
 * boxed; the boxes of both thresholds are pooled. A radiologist box counts as found at T when some
 * pooled box has IoBB > T (strict), T ∈ {0.1, 0.25, 0.5, 0.75, 0.9}. Per-threshold rows (only the
 * boxes of 60, or of 180) are reported too, since the paper does not say how the two were combined.
 */
import { componentBoxes, iobb, type Rect } from '../../shared/localization'
import { PAPER_IOBB_THRESHOLDS, type PaperIobbThreshold } from './chestXray8Reference'

export const PAPER_MAP_THRESHOLDS = [60, 180] as const

export interface PaperScore {
  /** per radiologist box: best IoBB over the pooled boxes of both thresholds */
  best: number[]
  /** per map threshold: best IoBB over that threshold's boxes only */
  byThreshold: Record<string, number[]>
}

/** 8-bit version of a map already in [0, 1]: round(255·v) after a min–max stretch. */
export function quantize255(values: ArrayLike<number>): Uint8Array {
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < values.length; i++) {
    if (values[i] < min) min = values[i]
    if (values[i] > max) max = values[i]
  }
  const out = new Uint8Array(values.length)
  const range = max - min
  if (!(range > 0)) return out // a flat map has no foreground at any threshold
  for (let i = 0; i < values.length; i++) out[i] = Math.round((255 * (values[i] - min)) / range)
  return out
}

export function paperBoxes(values: ArrayLike<number>, width: number, height: number, threshold: number): Rect[] {
  const q = quantize255(values)
  const mask = new Uint8Array(q.length)
  for (let i = 0; i < q.length; i++) mask[i] = q[i] > threshold ? 1 : 0
  return componentBoxes(mask, width, height)
}

const bestOver = (boxes: Rect[], truth: Rect[]) => truth.map((t) => Math.max(0, ...boxes.map((p) => iobb(p, t))))

export function scorePaperProtocol(values: ArrayLike<number>, width: number, height: number, truth: Rect[]): PaperScore {
  const byThreshold: Record<string, number[]> = {}
  const pooled: Rect[] = []
  for (const t of PAPER_MAP_THRESHOLDS) {
    const boxes = paperBoxes(values, width, height, t)
    byThreshold[String(t)] = bestOver(boxes, truth)
    pooled.push(...boxes)
  }
  return { best: bestOver(pooled, truth), byThreshold }
}

/** A fixed box (the prior) under the same strict comparison. */
export function scorePaperFixedBox(box: Rect, truth: Rect[]): PaperScore {
  const best = bestOver([box], truth)
  return { best, byThreshold: Object.fromEntries(PAPER_MAP_THRESHOLDS.map((t) => [String(t), best])) }
}

/** Fraction of boxes with IoBB strictly above each T; null when there are no boxes. */
export function paperAccuracy(best: number[]): Record<PaperIobbThreshold, number | null> {
  return Object.fromEntries(
    PAPER_IOBB_THRESHOLDS.map((t) => [t, best.length ? best.filter((v) => v > Number(t)).length / best.length : null]),
  ) as Record<PaperIobbThreshold, number | null>
}
