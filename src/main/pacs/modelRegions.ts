import { EVAL_GRID, evaluationGrid } from '../../shared/heatmapGrid'
import { otsuThreshold, scoreHeatmap, type Rect } from '../../shared/localization'

/**
 * The regions the viewer outlines as "Grad-CAM ≥ Otsu": the map on the evaluation grid (the shared
 * code the dashboard and the IoU panel use), thresholded at Otsu's value, its connected components
 * boxed, in the image's pixels.
 */
export function thresholdedRegions(
  map: { data: ArrayLike<number>; width: number; height: number; method: string },
  image: { width: number; height: number },
): Rect[] {
  const grid = evaluationGrid(map.data, map.height, map.width, map.method)
  const predicted = scoreHeatmap(grid, EVAL_GRID, EVAL_GRID, [], otsuThreshold(grid)).predictedBoxes
  return predicted.map((r) => ({
    x: (r.x / EVAL_GRID) * image.width,
    y: (r.y / EVAL_GRID) * image.height,
    w: (r.w / EVAL_GRID) * image.width,
    h: (r.h / EVAL_GRID) * image.height,
  }))
}
