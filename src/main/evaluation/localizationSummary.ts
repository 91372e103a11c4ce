import { EVAL_GRID } from '../../shared/heatmapGrid'
import type { LocalizationScore, Rect } from '../../shared/localization'
import { mean } from '../stats/mean'
import { IOBB_THRESHOLDS } from './chestXray8Reference'
import type { LocalizationRow } from './reportTypes'

/**
 * Localization scoring shared by the evaluate orchestrator and the validation dashboard, kept apart
 * from the orchestrator so the dashboard does not import the whole evaluation run to summarize.
 */

/** A box in image fractions to cells of the EVAL_GRID. */
export const toGrid = (r: Rect): Rect => ({ x: r.x * EVAL_GRID, y: r.y * EVAL_GRID, w: r.w * EVAL_GRID, h: r.h * EVAL_GRID })

export function summarize(scores: LocalizationScore[]): Omit<LocalizationRow, 'n_boxes'> & { n_boxes: number } {
  const best = scores.flatMap((s) => s.bestIobb)
  const acc = (t: number) => (best.length ? best.filter((v) => v >= t).length / best.length : null)
  return {
    n_boxes: best.length,
    iobb_acc: Object.fromEntries(IOBB_THRESHOLDS.map((t) => [t, acc(Number(t))])) as LocalizationRow['iobb_acc'],
    iou_mean: mean(scores.map((s) => s.maskIou)),
    hit_rate: mean(scores.map((s) => (s.hit ? 1 : 0))),
  }
}
