import { EVAL_GRID, evaluationGrid } from '../../shared/heatmapGrid'
import { otsuThreshold, scoreFixedBox, scoreHeatmap, type LocalizationScore, type Rect } from '../../shared/localization'
import type { BoxLocalizationFigures } from '../../shared/jobs'
import type { CaseBoxes } from './boxTargets'
import type { RowSet } from './rowSet'
import type { Trainable } from './trainables'

/**
 * Localization on boxes for choosing and reporting a fine-tuning run, scored exactly as
 * `cxr-lens evaluate` scores Grad-CAM: for a gap_linear head Grad-CAM is ReLU(CAM) (its channel
 * weights are the head's row over the cells), resized to the evaluation grid, min–max normalized,
 * thresholded at Otsu; mean mask IoU with the boxes, T(IoBB ≥ 0.25) over boxes, and the pointing
 * game. The fixed prior box (the manifest's localizationPrior) is scored on the same boxes.
 */
const toGrid = (r: Rect): Rect => ({ x: r.x * EVAL_GRID, y: r.y * EVAL_GRID, w: r.w * EVAL_GRID, h: r.h * EVAL_GRID })

function figures(scores: LocalizationScore[]): BoxLocalizationFigures {
  const boxes = scores.flatMap((s) => s.bestIobb)
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null)
  return {
    cases: scores.length,
    boxes: boxes.length,
    iouMean: mean(scores.map((s) => s.maskIou)),
    iobb25: boxes.length ? boxes.filter((v) => v >= 0.25).length / boxes.length : null,
    hitRate: mean(scores.map((s) => (s.hit ? 1 : 0))),
  }
}

/** Per finding column with boxes in the set: the model's Grad-CAM figures. `boxesAt(position)` gives a row's boxes. */
export async function camLocalization(
  model: Trainable,
  set: RowSet,
  boxesAt: (position: number) => CaseBoxes | undefined,
  grid: { height: number; width: number },
  chunk = 64,
): Promise<Map<number, BoxLocalizationFigures>> {
  if (!model.cams || model.cells !== grid.height * grid.width) throw new Error('Localization on boxes needs the last block (a class activation map per cell)')
  const C = set.classes
  const cells = model.cells
  const positions = Array.from({ length: set.n }, (_, p) => p).filter((p) => boxesAt(p)?.size)
  const scores = new Map<number, LocalizationScore[]>()
  for (let start = 0; start < positions.length; start += chunk) {
    const rows = positions.slice(start, start + chunk)
    const cams = await model.cams(set.gather(rows), rows.length)
    rows.forEach((position, r) => {
      for (const [c, rects] of boxesAt(position)!) {
        const map = Float32Array.from({ length: cells }, (_, s) => Math.max(0, cams[(r * cells + s) * C + c]))
        const values = evaluationGrid(map, grid.height, grid.width, 'gradcam')
        const score = scoreHeatmap(values, EVAL_GRID, EVAL_GRID, rects.map(toGrid), otsuThreshold(values))
        scores.set(c, [...(scores.get(c) ?? []), score])
      }
    })
  }
  return new Map([...scores].sort(([a], [b]) => a - b).map(([c, s]) => [c, figures(s)]))
}

/** The same figures for the fixed prior box of each finding that has one. */
export function priorLocalization(prior: Record<string, Rect> | undefined, findings: string[], boxes: CaseBoxes[]): Map<number, BoxLocalizationFigures> {
  const out = new Map<number, BoxLocalizationFigures>()
  findings.forEach((finding, c) => {
    const box = prior?.[finding]
    const truths = boxes.flatMap((b) => (b.get(c) ? [b.get(c)!] : []))
    if (box && truths.length) out.set(c, figures(truths.map((t) => scoreFixedBox(toGrid(box), EVAL_GRID, EVAL_GRID, t.map(toGrid)))))
  })
  return out
}
