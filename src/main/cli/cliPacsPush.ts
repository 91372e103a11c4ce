import { parseArgs } from 'node:util'
import { pushCases, type PushOptions, type PushSummary } from '../pacs/pushResults'
import type { PacsResultsTransport } from '../pacs/resultsTransport'
import { UsageError, type CliContext } from './cliContext'

export const PACS_PUSH_USAGE = 'cxr-lens pacs push NAME (--case NAME|ID … | --all-reviewed) [--with-model] [--model ID] [--json]'

/** How the `pacs` dispatcher (cliPacs.ts) turns a configured connection's name into a client. */
export type ConnectPacs = (ctx: CliContext, name: string) => PacsResultsTransport | Promise<PacsResultsTransport>

/** Every reviewed case, in worklist order. */
function reviewedCases(ctx: CliContext): number[] {
  const ids: number[] = []
  for (let offset = 0; ; offset += 500) {
    const page = ctx.store.worklist.query({ offset, limit: 500, status: 'reviewed' })
    ids.push(...page.rows.map((r) => r.id))
    if (ids.length >= page.total || page.rows.length === 0) return ids
  }
}

/** --case takes an image name (as every command does) or a case id (what the JSON reports). */
function namedCases(ctx: CliContext, names: string[]): number[] {
  return names.map((name) => {
    if (/^\d+$/.test(name) && ctx.store.cases.get(Number(name))) return Number(name)
    const [record] = ctx.store.cases.findByImageName(name)
    if (!record) throw new Error(`No case named ${name} in ${ctx.dataDir}`)
    return record.id
  })
}

/**
 * `cxr-lens pacs push NAME …`: each case's SR (and heatmap as a Secondary Capture) into its original
 * study on the PACS. `args` are those after `push`. The JSON names the new SR and SC SOP Instance
 * UIDs, never the original study's: scripts keep their output in files and logs, which would put
 * an identifier at rest; the new UIDs are enough to find the objects in the PACS.
 */
export async function runPacsPush(ctx: CliContext, args: string[], connect: ConnectPacs): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      case: { type: 'string', multiple: true },
      'all-reviewed': { type: 'boolean' },
      'with-model': { type: 'boolean' },
      model: { type: 'string' },
      json: { type: 'boolean' },
      'data-dir': { type: 'string' },
    },
  })
  const [name, ...extra] = positionals
  if (!name || extra.length) throw new UsageError(`pacs push takes one PACS name\nusage: ${PACS_PUSH_USAGE}`)
  if (Boolean(values.case?.length) === Boolean(values['all-reviewed']))
    throw new UsageError(`pacs push needs either --case (repeatable) or --all-reviewed\nusage: ${PACS_PUSH_USAGE}`)
  const caseIds = values['all-reviewed'] ? reviewedCases(ctx) : namedCases(ctx, values.case!)
  let model: PushOptions['model'] = null
  try {
    const entry = ctx.registry.get(values.model)
    model = { id: entry.pkg.manifest.id, version: entry.pkg.manifest.version }
  } catch (error) {
    if (values.model) throw error // a named model that is not installed is a mistake; no model at all only means no map
  }
  const transport = await connect(ctx, name)
  const summary: PushSummary = await pushCases(
    { store: ctx.store, dataDir: ctx.dataDir, transport, pacsName: name, actor: 'cli' },
    caseIds,
    { model, withModel: values['with-model'] },
  )
  if (values.json) {
    console.log(
      JSON.stringify({
        pushed: summary.pushed.map((p) => ({
          caseId: p.caseId,
          image: p.image,
          sr: p.sr,
          sc: p.sc,
          boxes: p.boxes,
          regions: p.regions,
          notes: p.notes,
        })),
        failed: summary.failed,
      }),
    )
  } else {
    for (const p of summary.pushed) {
      const sent = [p.sr && `SR (${p.boxes} box(es)${p.regions ? `, ${p.regions} AI region(s)` : ''})`, p.sc && 'heatmap'].filter(Boolean)
      console.log(`${p.image}: sent ${sent.join(' and ')} to ${name}${p.notes.length ? ` (${p.notes.join('; ')})` : ''}`)
    }
    for (const f of summary.failed) console.error(`${f.image ?? `case ${f.caseId}`}: not sent: ${f.error}`)
    console.log(`${summary.pushed.length} case(s) sent, ${summary.failed.length} not sent`)
  }
  return summary.failed.length ? 1 : 0
}
