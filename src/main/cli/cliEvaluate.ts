import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { EXPLAIN_METHODS, isExplainMethod } from '../../shared/explainMethods'
import { evaluateModel } from '../evaluation/evaluate'
import { htmlReport } from '../evaluation/htmlReport'
import { UsageError, type CliContext } from './cliContext'

export const EVALUATE_USAGE =
  `cxr-lens evaluate --images DIR --labels CSV [--boxes CSV] --model ID [--method ${EXPLAIN_METHODS.join('|')}] [--threshold otsu|tuned] [--split-file CSV --split test] --out report.json [--html report.html]`

export async function runEvaluate(ctx: CliContext, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      images: { type: 'string' }, labels: { type: 'string' }, boxes: { type: 'string' }, model: { type: 'string' }, version: { type: 'string' },
      method: { type: 'string' }, threshold: { type: 'string' }, 'split-file': { type: 'string' }, split: { type: 'string' },
      out: { type: 'string' }, html: { type: 'string' }, threads: { type: 'string' }, 'data-dir': { type: 'string' },
    },
  })
  if (!values.images || !values.labels || !values.out) throw new UsageError(`evaluate needs --images, --labels and --out\nusage: ${EVALUATE_USAGE}`)
  const method = values.method ?? 'gradcam'
  if (!isExplainMethod(method)) throw new UsageError(`--method must be one of ${EXPLAIN_METHODS.join(', ')}`)
  const threshold = (values.threshold ?? 'otsu') as 'otsu' | 'tuned'
  if (threshold !== 'otsu' && threshold !== 'tuned') throw new UsageError('--threshold is otsu or tuned')
  if (Boolean(values['split-file']) !== Boolean(values.split)) throw new UsageError('--split-file and --split go together')
  const { pkg } = ctx.registry.get(values.model, values.version)
  const engine = ctx.engine(values.threads ? Number(values.threads) : undefined)
  const showProgress = process.stderr.isTTY
  const { report, outputs } = await evaluateModel(pkg, engine, {
    imagesDir: values.images, labelsCsv: values.labels, boxesCsv: values.boxes, method, threshold,
    split: values['split-file'] ? { file: values['split-file'], name: values.split! } : undefined,
    onProgress: showProgress ? (done, total) => process.stderr.write(`\revaluate ${done}/${total}`) : undefined,
  })
  if (showProgress) process.stderr.write('\n')
  writeFileSync(resolve(values.out), JSON.stringify(report, null, 2))
  if (values.html) writeFileSync(resolve(values.html), await htmlReport(report, outputs, pkg.manifest))
  console.log(`${report.model.id} ${report.model.version} on ${report.images} images (${report.provider}): macro AUROC ${report.classification.macro_auroc?.toFixed(3) ?? '–'}`)
  for (const [finding, row] of Object.entries(report.localization)) {
    const flag = report.not_beating_prior.includes(finding) ? '  (does not beat the prior box)' : ''
    console.log(`  ${finding}: ${row.n_boxes} boxes, T(IoBB≥0.1) ${row.iobb_acc['0.1']?.toFixed(2)}, mean IoU ${row.iou_mean?.toFixed(2)}, hit ${row.hit_rate?.toFixed(2)}${flag}`)
  }
  console.log(`report: ${resolve(values.out)}${values.html ? `, ${resolve(values.html)}` : ''}`)
  return 0
}
