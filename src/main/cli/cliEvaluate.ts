import { writeFileSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { EXPLAIN_METHODS, isExplainMethod } from '../../shared/explainMethods'
import { BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED } from '../evaluation/bootstrap'
import { evaluateModel } from '../evaluation/evaluate'
import { htmlReport, oodLine } from '../evaluation/htmlReport'
import { saveSanityRecord } from '../evaluation/sanityRecord'
import { machinePolicy } from '../config/policy'
import { htmlToPdf } from '../interchange/pdf'
import { UsageError, type CliContext } from './cliContext'

export const EVALUATE_USAGE =
  `cxr-lens evaluate --images DIR --labels CSV [--boxes CSV] --model ID [--method ${EXPLAIN_METHODS.join('|')}] [--threshold otsu|tuned] [--split-file CSV --split test] ` +
  '[--protocol cxrlens|chestxray8] [--compare-method M] [--compare-predictions FILE.csv] [--faithfulness] [--sanity [--sanity-images N]] ' +
  '[--bootstrap N] [--seed S] --out report.json [--html report.html] [--pdf report.pdf [--allow-unsandboxed-chromium]]'

function integer(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not "${raw}"`)
  return n
}

export async function runEvaluate(ctx: CliContext, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      images: { type: 'string' },
      labels: { type: 'string' },
      boxes: { type: 'string' },
      model: { type: 'string' },
      version: { type: 'string' },
      method: { type: 'string' },
      threshold: { type: 'string' },
      'split-file': { type: 'string' },
      split: { type: 'string' },
      out: { type: 'string' },
      html: { type: 'string' },
      pdf: { type: 'string' },
      'allow-unsandboxed-chromium': { type: 'boolean' },
      threads: { type: 'string' },
      'data-dir': { type: 'string' },
      protocol: { type: 'string' },
      'compare-method': { type: 'string' },
      'compare-predictions': { type: 'string' },
      faithfulness: { type: 'boolean' },
      sanity: { type: 'boolean' },
      'sanity-images': { type: 'string' },
      bootstrap: { type: 'string' },
      seed: { type: 'string' },
    },
  })
  if (!values.images || !values.labels || !values.out)
    throw new UsageError(`evaluate needs --images, --labels and --out\nusage: ${EVALUATE_USAGE}`)
  const method = values.method ?? 'gradcam'
  if (!isExplainMethod(method)) throw new UsageError(`--method must be one of ${EXPLAIN_METHODS.join(', ')}`)
  const compareMethod = values['compare-method']
  if (compareMethod !== undefined && !isExplainMethod(compareMethod))
    throw new UsageError(`--compare-method must be one of ${EXPLAIN_METHODS.join(', ')}`)
  const threshold = (values.threshold ?? 'otsu') as 'otsu' | 'tuned'
  if (threshold !== 'otsu' && threshold !== 'tuned') throw new UsageError('--threshold is otsu or tuned')
  const protocol = (values.protocol ?? 'cxrlens') as 'cxrlens' | 'chestxray8'
  if (protocol !== 'cxrlens' && protocol !== 'chestxray8') throw new UsageError('--protocol is cxrlens or chestxray8')
  if (Boolean(values['split-file']) !== Boolean(values.split)) throw new UsageError('--split-file and --split go together')
  if (values['sanity-images'] !== undefined && !values.sanity) throw new UsageError('--sanity-images goes with --sanity')
  if (values['allow-unsandboxed-chromium'] && !values.pdf) throw new UsageError('--allow-unsandboxed-chromium goes with --pdf')
  const bootstrap = {
    resamples: integer(values.bootstrap, 'bootstrap', BOOTSTRAP_RESAMPLES, 1000, 100_000),
    seed: integer(values.seed, 'seed', BOOTSTRAP_SEED, 0, 2 ** 31 - 1),
  }
  const sanity = values.sanity ? { images: integer(values['sanity-images'], 'sanity-images', 8, 1, 1000) } : undefined
  const { pkg } = ctx.registry.get(values.model, values.version)
  const engine = ctx.engine(values.threads ? Number(values.threads) : undefined)
  const showProgress = process.stderr.isTTY
  const { report, outputs } = await evaluateModel(pkg, engine, {
    imagesDir: values.images,
    labelsCsv: values.labels,
    boxesCsv: values.boxes,
    method,
    threshold,
    protocol,
    compareMethod,
    comparePredictions: values['compare-predictions'],
    faithfulness: values.faithfulness,
    sanity,
    bootstrap,
    split: values['split-file'] ? { file: values['split-file'], name: values.split! } : undefined,
    onProgress: showProgress ? (done, total) => process.stderr.write(`\revaluate ${done}/${total}`) : undefined,
  })
  if (showProgress) process.stderr.write('\n')
  writeFileSync(resolve(values.out), JSON.stringify(report, null, 2))
  if (values.html || values.pdf) {
    const split = values['split-file'] ? `, split "${values.split}" of ${basename(values['split-file'])}` : ''
    const dataSource = `images ${resolve(values.images)}, labels ${basename(values.labels)}${values.boxes ? `, boxes ${basename(values.boxes)}` : ''}${split}`
    const html = await htmlReport(report, outputs, pkg.manifest, { dataSource })
    if (values.html) writeFileSync(resolve(values.html), html)
    if (values.pdf)
      writeFileSync(
        resolve(values.pdf),
        await htmlToPdf(html, {
          allowUnsandboxed: values['allow-unsandboxed-chromium'],
          policyPath: machinePolicy().settings.reports?.chromium,
        }),
      )
  }
  // the dashboard shows the last check of this model version and method (sanityRecord.ts)
  if (report.sanity) saveSanityRecord(ctx.dataDir, report.model, report.sanity)
  console.log(
    `${report.model.id} ${report.model.version} on ${report.images} images (${report.provider}): macro AUROC ${report.classification.macro_auroc?.toFixed(3) ?? '–'}`,
  )
  for (const [finding, row] of Object.entries(report.localization)) {
    const flag = report.not_beating_prior.includes(finding) ? '  (does not beat the prior box)' : ''
    if (protocol === 'chestxray8') {
      const p = report.localization_chestxray8![finding]
      console.log(
        `  ${finding}: ${p.n_boxes} boxes, ChestX-ray8 protocol T(IoBB>0.1) ${p.iobb_acc['0.1']?.toFixed(2)}, >0.5 ${p.iobb_acc['0.5']?.toFixed(2)}, >0.9 ${p.iobb_acc['0.9']?.toFixed(2)}${flag}`,
      )
    } else {
      console.log(
        `  ${finding}: ${row.n_boxes} boxes, T(IoBB≥0.1) ${row.iobb_acc['0.1']?.toFixed(2)}, mean IoU ${row.iou_mean?.toFixed(2)}, hit ${row.hit_rate?.toFixed(2)}${flag}`,
      )
    }
  }
  if (report.compare_predictions) {
    const c = report.compare_predictions
    console.log(
      `  ${c.file} on ${c.images_matched} of ${report.images} images: macro AUROC ${c.macro_auroc_external?.toFixed(3) ?? '–'} against the model's ${c.macro_auroc_model?.toFixed(3) ?? '–'} on the same images`,
    )
  }
  for (const flag of report.explanation_flags ?? []) console.log(`  FLAG: ${flag}`)
  console.log(`  ${oodLine(report.ood)}`)
  console.log(
    `report: ${[values.out, values.html, values.pdf]
      .filter(Boolean)
      .map((f) => resolve(f!))
      .join(', ')}`,
  )
  return 0
}
