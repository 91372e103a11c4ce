/**
 * The core's localization pipeline, so the IoU panel shows the dashboard's numbers: the map goes to
 * the 224×224 evaluation grid through src/shared/heatmapGrid.ts (the code the core runs), boxes
 * become fractions of the image × 224, and src/shared/localization.ts scores.
 */
import { EVAL_GRID, evaluationGrid } from '../../../shared/heatmapGrid'
import { iou, otsuThreshold, scoreHeatmap, type Rect } from '../../../shared/localization'

export { EVAL_GRID }

/** The map on the evaluation grid, computed by the same shared code as the core's evaluation. */
export function gridValues(map: { values: ArrayLike<number>; width: number; height: number; method: string }): Float32Array {
  return evaluationGrid(map.values, map.height, map.width, map.method)
}

export const defaultThreshold = otsuThreshold

export function boxToGrid(b: Rect, imageWidth: number, imageHeight: number): Rect {
  const f = { x: b.x / imageWidth, y: b.y / imageHeight, w: b.w / imageWidth, h: b.h / imageHeight }
  return { x: f.x * EVAL_GRID, y: f.y * EVAL_GRID, w: f.w * EVAL_GRID, h: f.h * EVAL_GRID }
}

export function gridToImage(r: Rect, imageWidth: number, imageHeight: number): Rect {
  return {
    x: (r.x / EVAL_GRID) * imageWidth,
    y: (r.y / EVAL_GRID) * imageHeight,
    w: (r.w / EVAL_GRID) * imageWidth,
    h: (r.h / EVAL_GRID) * imageHeight,
  }
}

export interface BoxScore {
  id: number
  /** best IoU of this box with any thresholded region's box */
  iou: number
  iobb: number
  hit: boolean
}

/** Scores every box on its own against the thresholded map; also returns the regions' boxes (grid cells). */
export function scoreBoxes(
  values: Float32Array,
  boxes: ReadonlyArray<Rect & { id: number }>,
  imageWidth: number,
  imageHeight: number,
  threshold: number,
) {
  const predicted = scoreHeatmap(values, EVAL_GRID, EVAL_GRID, [], threshold).predictedBoxes
  const rows: BoxScore[] = boxes.map((box) => {
    const truth = boxToGrid(box, imageWidth, imageHeight)
    const score = scoreHeatmap(values, EVAL_GRID, EVAL_GRID, [truth], threshold)
    return { id: box.id, iou: Math.max(0, ...predicted.map((p) => iou(p, truth))), iobb: score.bestIobb[0] ?? 0, hit: score.hit }
  })
  return { rows, predicted }
}
