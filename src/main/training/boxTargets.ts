import { rectMask, type Rect } from '../../shared/localization'
import type { CaseStore } from '../store/caseStore'
import type { BoxTarget } from './camLoss'

/**
 * The boxes fine-tuning can learn from: every live box of a case (imported with the dataset or drawn
 * by a reader), as fractions of the stored image, grouped by the model's finding column. Boxes of a
 * finding the model does not predict, or on an image of unknown size, are left out.
 */
export type CaseBoxes = Map<number, Rect[]>

export function caseBoxes(store: CaseStore, caseIds: number[], findings: string[]): Map<number, CaseBoxes> {
  const out = new Map<number, CaseBoxes>()
  for (const id of caseIds) {
    const record = store.cases.get(id)
    if (!record || !(record.width > 0) || !(record.height > 0)) continue
    const byFinding: CaseBoxes = new Map()
    for (const box of store.annotations.boxes(id)) {
      const c = findings.indexOf(box.finding)
      if (c < 0 || !(box.w > 0) || !(box.h > 0)) continue
      const rect = { x: box.x / record.width, y: box.y / record.height, w: box.w / record.width, h: box.h / record.height }
      byFinding.set(c, [...(byFinding.get(c) ?? []), rect])
    }
    if (byFinding.size) out.set(id, byFinding)
  }
  return out
}

/**
 * A case's boxes as masks over the feature map's `width × height` cells (a cell counts when its
 * centre is inside a box). A box too small to contain a cell centre (a nodule on a 12×12 map) marks
 * the cell under its centre, so every box supervises something.
 */
export function boxTargets(boxes: CaseBoxes, width: number, height: number): BoxTarget[] {
  return [...boxes].map(([finding, rects]) => {
    const cells = rects.map((r) => ({ x: r.x * width, y: r.y * height, w: r.w * width, h: r.h * height }))
    const mask = rectMask(cells, width, height)
    for (const r of cells) {
      const cx = Math.min(width - 1, Math.max(0, Math.floor(r.x + r.w / 2)))
      const cy = Math.min(height - 1, Math.max(0, Math.floor(r.y + r.h / 2)))
      mask[cy * width + cx] = 1
    }
    return { finding, mask }
  })
}
