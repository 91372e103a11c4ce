/**
 * Why a finding's Grad-CAM does not beat the fixed prior box: separates what the evaluation's grid and
 * threshold allow from what the model's maps do, on one split's radiologist boxes, scored as
 * `cxr-lens evaluate` scores them (bilinear resize to the evaluation grid, min–max, Otsu).
 *
 * - ceiling: the box's own cell mask on the model's feature grid (boxTargets' rule: a cell counts when its
 *   centre is in the box), through the same resize and threshold — the best any map on that grid can do;
 * - per model: mean IoU, the Otsu mask's area over the box's, the share of the box it covers, and the IoU
 *   a per-image best threshold would give (so a short IoU can be told apart from a bad threshold);
 * - the fixed prior box's IoU on the same boxes.
 *
 *   npx tsx scripts/mapShapeDiagnosis.ts [--finding Cardiomegaly] [--split val] MODEL_DIR [MODEL_DIR…]
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { evaluateModel } from '../src/main/evaluation/evaluate'
import { toGrid } from '../src/main/evaluation/localizationSummary'
import { InferenceEngine } from '../src/main/model/inferenceEngine'
import { loadModelPackage } from '../src/main/model/modelPackage'
import { boxTargets } from '../src/main/training/boxTargets'
import { EVAL_GRID, evaluationGrid } from '../src/shared/heatmapGrid'
import { maskIou, otsuThreshold, rectMask } from '../src/shared/localization'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    finding: { type: 'string', default: 'Cardiomegaly' },
    split: { type: 'string', default: 'val' },
    images: { type: 'string', default: '../shared/data/nih/images-256' },
    labels: { type: 'string', default: '../shared/data/nih/labels.csv' },
    boxes: { type: 'string', default: '../shared/data/nih/BBox_List_dev.csv' },
    'split-file': { type: 'string', default: 'training/reference/split.csv' },
  },
})
if (positionals.length === 0) throw new Error('usage: mapShapeDiagnosis.ts [--finding F] [--split val] MODEL_DIR [MODEL_DIR…]')
const finding = values.finding!
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN)
const thresholded = (map: Float32Array, t: number) => Uint8Array.from(map, (v) => (v >= t ? 1 : 0))
const count = (m: Uint8Array) => m.reduce((a, b) => a + b, 0)

async function main() {
  const engine = new InferenceEngine({ providers: ['cpu'], threads: 2 })
  const out: Record<string, unknown>[] = []
  try {
    for (const dir of positionals) {
      const pkg = loadModelPackage(resolve(dir))
      const [, gridH, gridW] = pkg.manifest.outputs.features.shape
      const { outputs } = await evaluateModel(pkg, engine, {
        imagesDir: resolve(values.images!),
        labelsCsv: resolve(values.labels!),
        boxesCsv: resolve(values.boxes!),
        method: 'gradcam',
        threshold: 'otsu',
        protocol: 'chestxray8',
        split: { file: resolve(values['split-file']!), name: values.split! },
      })
      const prior = pkg.manifest.localizationPrior?.[finding]
      const rows = {
        iou: [] as number[],
        area: [] as number[],
        recall: [] as number[],
        oracle: [] as number[],
        ceiling: [] as number[],
        prior: [] as number[],
      }
      for (const o of outputs) {
        const map = o.maps.get(finding)
        const boxes = o.c.boxes.get(finding)
        if (!map || !boxes) continue
        const truth = rectMask(boxes.map(toGrid), EVAL_GRID, EVAL_GRID)
        const mask = thresholded(map, otsuThreshold(map))
        let inside = 0
        for (let i = 0; i < mask.length; i++) inside += mask[i] & truth[i]
        rows.iou.push(maskIou(mask, truth))
        rows.area.push(count(mask) / count(truth))
        rows.recall.push(inside / count(truth))
        let best = 0
        for (let q = 0.02; q < 1; q += 0.02) best = Math.max(best, maskIou(thresholded(map, q), truth))
        rows.oracle.push(best)
        const [cellMask] = boxTargets(new Map([[0, boxes]]), gridW, gridH)
        const ideal = evaluationGrid(Float32Array.from(cellMask.mask), gridH, gridW, 'gradcam')
        rows.ceiling.push(maskIou(thresholded(ideal, otsuThreshold(ideal)), truth))
        if (prior) rows.prior.push(maskIou(rectMask([toGrid(prior)], EVAL_GRID, EVAL_GRID), truth))
      }
      const result = {
        model: `${pkg.manifest.id} ${pkg.manifest.version}`,
        finding,
        split: values.split,
        boxedImages: rows.iou.length,
        meanIou: mean(rows.iou),
        otsuAreaOverBox: mean(rows.area),
        boxCovered: mean(rows.recall),
        perImageBestThresholdIou: mean(rows.oracle),
        ceilingOnGrid: { grid: `${gridW}×${gridH}`, iou: mean(rows.ceiling) },
        priorBoxIou: rows.prior.length ? mean(rows.prior) : null,
      }
      out.push(result)
      console.log(JSON.stringify(result))
    }
  } finally {
    await engine.close()
  }
  return out
}
void main()
