/**
 * Live localization scores of the shown heatmap against every box of its finding (all authors),
 * recomputed when the map, the boxes or the threshold change. The 224² grid is built once per map.
 */
import { useEffect, useMemo } from 'react'
import type { HeatmapData } from '../../../shared/domain'
import { defaultThreshold, gridToImage, gridValues, scoreBoxes, type BoxScore } from '../canvas/localizationGrid'
import { publishViewer } from '../canvas/testHook'
import type { ViewBox } from '../stores/boxStore'

export interface IouScores {
  threshold: number
  otsu: number
  rows: BoxScore[]
  /** thresholded regions' boxes in image pixels */
  predicted: Array<{ x: number; y: number; w: number; h: number }>
}

export function useIouScores(
  map: HeatmapData | null,
  boxes: readonly ViewBox[],
  image: { width: number; height: number },
  manual: number | null,
): IouScores | null {
  const grid = useMemo(() => (map ? gridValues(map) : null), [map])
  const otsu = useMemo(() => (grid ? defaultThreshold(grid) : 0.5), [grid])
  const scores = useMemo(() => {
    if (!grid || !map) return null
    const threshold = manual ?? otsu
    const mine = boxes.filter((b) => b.finding === map.finding)
    const { rows, predicted } = scoreBoxes(grid, mine, image.width, image.height, threshold)
    return { threshold, otsu, rows, predicted: predicted.map((r) => gridToImage(r, image.width, image.height)) }
  }, [grid, map, boxes, image.width, image.height, manual, otsu])

  useEffect(() => {
    publishViewer({
      predictedBoxes: scores?.predicted ?? [],
      iouThreshold: scores?.threshold,
      heatmapValues: map
        ? {
            id: map.id,
            width: map.width,
            height: map.height,
            method: map.method,
            values: [...map.values],
            imageWidth: image.width,
            imageHeight: image.height,
          }
        : null,
    })
  }, [scores, map, image.width, image.height])
  return scores
}
