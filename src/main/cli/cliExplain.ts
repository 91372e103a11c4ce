import { mkdirSync, writeFileSync } from 'node:fs'
import { basename, extname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { aggregateGlobal, globalSummarySvg } from '../explain/globalExplanation'
import { COLORMAPS, renderOverlay } from '../explain/heatmapRender'
import { encodeNpy } from '../explain/npy'
import { EXPLAIN_METHOD_FACTS, EXPLAIN_METHODS, isExplainMethod } from '../../shared/explainMethods'
import { analyzeCases } from '../analysis/analysisService'
import type { AnalysisRequest } from '../../shared/jobs'
import { UsageError, type CliContext } from './cliContext'
import { oodJson, oodText } from './cliOod'

export const EXPLAIN_USAGE = `cxr-lens explain --model ID --method ${EXPLAIN_METHODS.join('|')} [--finding F] (--case NAME ... | --all) [--out DIR] [--global] [--background blur|mean] [--grid N] [--samples N] [--channels N] [--json]`

/** A positive integer option, or a usage error naming it. */
function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got '${value}'`)
  return n
}

/** Heatmaps stored per case, model version, finding and method; with --out also PNG overlays and raw maps (JSON + NPY). */
export async function runExplain(ctx: CliContext, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      version: { type: 'string' },
      method: { type: 'string' },
      finding: { type: 'string' },
      case: { type: 'string', multiple: true },
      all: { type: 'boolean' },
      out: { type: 'string' },
      grid: { type: 'string' },
      samples: { type: 'string' },
      channels: { type: 'string' },
      seed: { type: 'string' },
      global: { type: 'boolean' },
      background: { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
      'data-dir': { type: 'string' },
    },
  })
  const method = values.method
  if (!isExplainMethod(method)) throw new UsageError(`--method must be one of ${EXPLAIN_METHODS.join(', ')}\nusage: ${EXPLAIN_USAGE}`)
  if (values.background && values.background !== 'blur' && values.background !== 'mean')
    throw new UsageError('--background is blur or mean')
  const channels = positiveInt('channels', values.channels)
  if (channels !== undefined && method !== 'scorecam') throw new UsageError('--channels applies to --method scorecam only')
  if (values.global && !values.out) throw new UsageError('--global writes global_<method>.json and .svg: give --out DIR')
  const caseIds = ctx.selectCases(values.case, values.all)
  // The same request the workstation's Run button sends (the job map's AnalysisRequest).
  const request: AnalysisRequest = {
    caseIds,
    model: values.model,
    version: values.version,
    methods: [method],
    findings: values.finding ? [values.finding] : undefined,
    grid: values.grid ? Number(values.grid) : undefined,
    samples: values.samples ? Number(values.samples) : undefined,
    seed: values.seed ? Number(values.seed) : undefined,
    channels,
    background: values.background as 'blur' | 'mean' | undefined,
  }
  const result = await analyzeCases(
    { store: ctx.store, registry: ctx.registry, engine: ctx.engine(values.threads ? Number(values.threads) : undefined) },
    request,
    { onProgress: process.stderr.isTTY && !values.json ? (done, total) => process.stderr.write(`\rexplain ${done}/${total}`) : undefined },
  )
  if (process.stderr.isTTY && !values.json) process.stderr.write('\n')
  const written: string[] = []
  if (values.out) {
    const out = resolve(values.out)
    mkdirSync(out, { recursive: true })
    for (const c of result.cases) {
      const record = ctx.store.cases.get(c.caseId)!
      const boxes = ctx.store.annotations.boxes(c.caseId)
      const stem = basename(record.imageName, extname(record.imageName))
      for (const h of c.heatmaps) {
        const map = ctx.store.results.heatmapById(h.id)!
        const name = join(out, `${stem}_${h.finding}_${h.method}`)
        const overlay = await renderOverlay({
          image: record.path,
          map: map.data,
          mapHeight: map.height,
          mapWidth: map.width,
          normalize: EXPLAIN_METHOD_FACTS[method].signed ? 'positive' : 'minmax',
          boxes: boxes.filter((b) => b.finding === h.finding).map((b) => ({ x: b.x, y: b.y, w: b.w, h: b.h, label: b.finding })),
        })
        writeFileSync(`${name}.png`, overlay)
        writeFileSync(`${name}.npy`, encodeNpy(map.data, [map.height, map.width]))
        writeFileSync(
          `${name}.json`,
          JSON.stringify({
            image: record.imageName,
            finding: h.finding,
            method: h.method,
            model: result.model,
            probability: c.probabilities[h.finding],
            height: map.height,
            width: map.width,
            params: map.params,
            data: Array.from(map.data),
          }),
        )
        written.push(`${name}.png`)
      }
    }
  }
  let global: ReturnType<typeof aggregateGlobal> | undefined
  if (values.global && values.out) {
    // Mean |attribution| per region and finding over the selected cases, from the stored maps.
    const selected = new Set(caseIds)
    const maps = [...ctx.store.results.latestHeatmaps(result.model.id, result.model.version, method)].filter((m) => selected.has(m.caseId))
    global = aggregateGlobal(maps)
    const base = join(resolve(values.out), `global_${method}`)
    writeFileSync(`${base}.json`, JSON.stringify({ model: result.model, method, cases: caseIds.length, findings: global }))
    writeFileSync(
      `${base}.svg`,
      globalSummarySvg(
        global,
        `${method}: mean |attribution| per region, ${result.model.id} ${result.model.version}, ${caseIds.length} case(s)`,
        COLORMAPS.viridis,
      ),
    )
    written.push(`${base}.svg`)
  }
  if (values.json) {
    console.log(
      JSON.stringify({
        model: result.model,
        provider: result.provider,
        method,
        seconds: result.seconds,
        cases: result.cases.map((c) => ({ ...c, ood: oodJson(c.ood) })),
        ood_unavailable: result.oodUnavailable,
        files: written,
      }),
    )
  } else {
    const maps = result.cases.reduce((n, c) => n + c.heatmaps.length, 0)
    console.log(
      `model ${result.model.id} ${result.model.version}, provider ${result.provider}, ${method}: ${maps} heatmap(s) for ${result.cases.length} case(s) in ${result.seconds.toFixed(2)} s`,
    )
    if (values.out)
      console.log(
        `wrote ${written.length} file(s) (overlays with .npy and .json maps${global ? ', global summary' : ''}) to ${resolve(values.out)}`,
      )
    for (const g of global ?? []) console.log(`  ${g.finding}\tmean Σ|φ| ${g.meanTotal.toPrecision(3)} over ${g.cases} case(s)`)
    if (result.oodUnavailable) console.log(`  (${result.oodUnavailable})`)
    // A flagged case's maps are stored like any other, but said to be outside the training distribution.
    for (const c of result.cases.filter((c) => c.ood?.flagged)) console.log(`${c.image}${oodText(c.ood)}`)
  }
  return 0
}
