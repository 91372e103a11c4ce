import { mkdirSync, statSync, writeFileSync } from 'node:fs'
import { extname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { EXPLAIN_METHODS, type ExplainMethod } from '../../shared/explainMethods'
import { exportBoxesCoco, exportBoxesNih, exportLabelsNih } from '../interchange/exporters'
import { machinePolicy } from '../config/policy'
import { htmlToPdf } from '../interchange/pdf'
import { exportBoxesSr } from '../interchange/srExport'
import { dashboardReport } from '../validation/dashboardReport'
import { UsageError, type CliContext } from './cliContext'

export const EXPORT_USAGE =
  'cxr-lens export boxes --format nih|coco [--source dataset|reader|all] [--with-author] --out FILE | export boxes --format sr [--source dataset|reader|all] --out DIR|FILE.dcm | export labels --format nih --out FILE | export report [--model ID] [--method M] [--allow-unsandboxed-chromium] --out FILE.html|.pdf'

export async function runExport(ctx: CliContext, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'with-author': { type: 'boolean' },
      format: { type: 'string' },
      out: { type: 'string' },
      source: { type: 'string' },
      model: { type: 'string' },
      version: { type: 'string' },
      method: { type: 'string' },
      'data-dir': { type: 'string' },
      'allow-unsandboxed-chromium': { type: 'boolean' },
    },
  })
  const what = positionals[0]
  if (!values.out) throw new UsageError(`export needs --out FILE\nusage: ${EXPORT_USAGE}`)
  const out = resolve(values.out)
  if (what === 'boxes') {
    const source = (values.source ?? 'all') as 'dataset' | 'reader' | 'all'
    if (!['dataset', 'reader', 'all'].includes(source)) throw new UsageError('--source is dataset, reader or all')
    if (values['with-author'] && values.format !== 'nih')
      throw new UsageError('--with-author is for --format nih (COCO and SR always name the reader)')
    if (values.format === 'nih') writeFileSync(out, exportBoxesNih(ctx.store, { source, withAuthor: values['with-author'] }))
    else if (values.format === 'coco') writeFileSync(out, exportBoxesCoco(ctx.store, { source }))
    else if (values.format === 'sr') return writeSr(ctx, out, source)
    else throw new UsageError('export boxes needs --format nih, coco or sr')
  } else if (what === 'labels') {
    if (values.format !== 'nih') throw new UsageError('export labels needs --format nih')
    writeFileSync(out, exportLabelsNih(ctx.store))
  } else if (what === 'report') {
    const method = (values.method ?? 'gradcam') as ExplainMethod
    if (!EXPLAIN_METHODS.includes(method)) throw new UsageError(`--method must be one of ${EXPLAIN_METHODS.join(', ')}`)
    const html = await dashboardReport(ctx.services, { model: values.model, version: values.version, method })
    if (extname(out).toLowerCase() === '.pdf')
      writeFileSync(
        out,
        await htmlToPdf(html, {
          allowUnsandboxed: values['allow-unsandboxed-chromium'],
          policyPath: machinePolicy().settings.reports?.chromium,
        }),
      )
    else writeFileSync(out, html)
  } else throw new UsageError(`export what? boxes, labels or report\nusage: ${EXPORT_USAGE}`)
  console.log(`wrote ${out}`)
  return 0
}

/**
 * DICOM SR: one file per case with boxes. --out FILE.dcm takes exactly one such case; anything else
 * is a folder, where each file is named after the case's image (already de-identified for DICOM).
 */
function writeSr(ctx: CliContext, out: string, source: 'dataset' | 'reader' | 'all'): number {
  const single = extname(out).toLowerCase() === '.dcm' && !statSync(out, { throwIfNoEntry: false })?.isDirectory()
  const reports = [...exportBoxesSr(ctx.store, { source })]
  if (single) {
    if (reports.length !== 1)
      throw new Error(
        `--out ${out} is one file, but ${reports.length} cases have ${source === 'all' ? '' : `${source} `}boxes; give a folder`,
      )
    writeFileSync(out, reports[0].bytes)
    console.log(`wrote ${out} (case ${reports[0].record.imageName})`)
    return 0
  }
  mkdirSync(out, { recursive: true })
  const used = new Set<string>()
  for (const { record, bytes } of reports) {
    const stem = record.imageName.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9._-]/g, '_')
    const name = used.has(stem) ? `${stem}-${record.id}` : stem
    used.add(name)
    writeFileSync(join(out, `${name}.sr.dcm`), bytes)
  }
  console.log(`wrote ${reports.length} SR file${reports.length === 1 ? '' : 's'} to ${out}`)
  return 0
}
