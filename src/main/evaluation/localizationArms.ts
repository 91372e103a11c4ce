/**
 * Scores every boxed case of one finding under both protocols for each arm: the method's map, the
 * fixed prior box, a seeded random map (the trivial answers an explanation must beat) and, when asked,
 * a second method. The per-case scores feed the tables and the patient bootstrap.
 */
import { EVAL_GRID, normalizeMap, upsampleBilinear } from '../../shared/heatmapGrid'
import { otsuThreshold, scoreFixedBox, scoreHeatmap, type Rect } from '../../shared/localization'
import { seededRandom } from '../../shared/random'
import { PAPER_MAP_THRESHOLDS, paperAccuracy, scorePaperFixedBox, scorePaperProtocol, type PaperScore } from './chestXray8Protocol'
import type { CaseLocalization } from './localizationStats'
import type { PaperLocalizationRow } from './reportTypes'

/** A uniform random map on the method's own grid (h×w), upsampled and normalized as a real map is. */
export function randomMap(height: number, width: number, seed: number): Float32Array {
  const random = seededRandom(seed)
  const cells = Float32Array.from({ length: height * width }, () => random())
  return normalizeMap(upsampleBilinear(cells, height, width, EVAL_GRID, EVAL_GRID), 'minmax')
}

export interface ArmInput {
  /** normalized map on EVAL_GRID², or a fixed box in grid units */
  map?: Float32Array
  box?: Rect
  /** the CXR Lens mask threshold (Otsu when absent) */
  threshold?: number
}

export interface ScoredArm {
  lens: ReturnType<typeof scoreHeatmap>
  paper: PaperScore
}

export function scoreArm(input: ArmInput, truth: Rect[]): ScoredArm {
  if (input.box) return { lens: scoreFixedBox(input.box, EVAL_GRID, EVAL_GRID, truth), paper: scorePaperFixedBox(input.box, truth) }
  const map = input.map!
  return {
    lens: scoreHeatmap(map, EVAL_GRID, EVAL_GRID, truth, input.threshold ?? otsuThreshold(map)),
    paper: scorePaperProtocol(map, EVAL_GRID, EVAL_GRID, truth),
  }
}

export function toCaseArm(s: ScoredArm): CaseLocalization['arms'][string] {
  return { best: s.lens.bestIobb, paper: s.paper.best, iou: s.lens.maskIou, hit: s.lens.hit }
}

export function paperRow(scores: PaperScore[]): PaperLocalizationRow {
  return {
    n_boxes: scores.reduce((n, s) => n + s.best.length, 0),
    iobb_acc: paperAccuracy(scores.flatMap((s) => s.best)),
    by_map_threshold: Object.fromEntries(
      PAPER_MAP_THRESHOLDS.map((t) => [String(t), paperAccuracy(scores.flatMap((s) => s.byThreshold[String(t)]))]),
    ),
  }
}
