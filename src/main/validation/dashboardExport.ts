import type { DashboardData, DashboardSanity } from '../../shared/domain'
import { methodSummary } from '../../shared/explainMethods'
import {
  countsTable,
  esc,
  fewMark,
  MIN_REPORT_POSITIVES,
  reportDocument,
  sampleSizeWarning,
  type FindingCount,
  type ReportMeta,
} from '../evaluation/reportFrame'
import { rocSvg, scatterSvg } from '../evaluation/reportPlots'

const PAPER_T = ['0.1', '0.25', '0.5', '0.75', '0.9'] as const
const fmt = (v: number | null | undefined, d = 3) => (v === null || v === undefined ? '' : v.toFixed(d))
const csvCell = (v: string | number) => (typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)

/** One row per finding: the localization table, the paper's row, AUROC and reader agreement. */
export function dashboardCsv(d: DashboardData): string {
  const header = [
    'finding',
    'n_boxes',
    'iobb_0.1',
    'iobb_0.25',
    'iobb_0.5',
    'iou_mean',
    'hit_rate',
    'paper_iobb_0.1',
    'paper_iobb_0.25',
    'paper_iobb_0.5',
    'n_pos',
    'auroc',
    'auroc_ci_lo',
    'auroc_ci_hi',
    'reader_pairs',
    'reader_iou',
    // added (issue 15): the paper's protocol on the same maps (what paper_iobb_* compare with), its two other thresholds, and the baselines
    ...PAPER_T.map((t) => `cx8_iobb_${t}`),
    'paper_iobb_0.75',
    'paper_iobb_0.9',
    'prior_iou_mean',
    'prior_hit_rate',
    'random_iou_mean',
    'random_hit_rate',
    ...PAPER_T.map((t) => `random_cx8_iobb_${t}`),
  ]
  const findings = [...new Set([...Object.keys(d.localization), ...Object.keys(d.classification)])]
  const rows = findings.map((f) => {
    const l = d.localization[f]
    const c = d.classification[f]
    const a = d.agreement[f]
    const b = d.baselines[f]
    return [
      f,
      l?.n_boxes ?? '',
      fmt(l?.iobb_acc['0.1']),
      fmt(l?.iobb_acc['0.25']),
      fmt(l?.iobb_acc['0.5']),
      fmt(l?.iou_mean),
      fmt(l?.hit_rate),
      fmt(d.paper['0.1'][f], 4),
      fmt(d.paper['0.25'][f], 4),
      fmt(d.paper['0.5'][f], 4),
      c?.n_pos ?? '',
      fmt(c?.auroc),
      fmt(c?.auroc_ci?.[0]),
      fmt(c?.auroc_ci?.[1]),
      a?.pairs ?? '',
      fmt(a?.meanIou),
      ...PAPER_T.map((t) => fmt(d.localizationChestXray8[f]?.iobb_acc[t])),
      fmt(d.paper['0.75'][f], 4),
      fmt(d.paper['0.9'][f], 4),
      fmt(b?.prior?.iou_mean),
      fmt(b?.prior?.hit_rate),
      fmt(b?.random.iou_mean),
      fmt(b?.random.hit_rate),
      ...PAPER_T.map((t) => fmt(b?.random.paper_iobb_acc[t])),
    ].map((v) => csvCell(v))
  })
  return [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n'
}

/** What the dashboard's data does not hold: when, from where, which versions, and the example figures. */
export interface DashboardReportContext {
  generatedAt?: string
  dataSource?: string
  appVersion?: string
  databaseSchema?: number | null
  sha256?: string
  intendedUse?: string | null
  /** the examples section (HTML), made where the images can be read */
  examples?: string
}

const ci = (c: readonly [number, number] | null | undefined) => (c ? `${fmt(c[0])}–${fmt(c[1])}` : '–')

function sanitySection(s: DashboardSanity | null | undefined, method: string): string {
  if (!s)
    return `<h2>Sanity: model-parameter randomization</h2><p>No stored check for ${esc(method)} on this model version: run <code>cxr-lens evaluate … --method ${esc(method)} --sanity</code>.</p>`
  if (s.state === 'unreadable')
    return `<h2>Sanity: model-parameter randomization</h2><p class="flags">The stored check ${esc(s.file)} cannot be read: ${esc(s.error)}</p>`
  const rows = Object.entries(s.verdict)
    .map(
      ([layers, v]) =>
        `<tr${v.fails ? ' class="flag"' : ''}><td>${esc(layers)}</td><td>${v.fails ? `fails: ${esc(v.reasons.join('; '))}` : 'passes'}</td></tr>`,
    )
    .join('')
  return (
    `<h2>Sanity: model-parameter randomization (${esc(s.method)})</h2>` +
    (s.fails
      ? `<p class="flags" data-sanity="fails"><strong>${esc(s.method)} fails the randomization check</strong>: its maps do not depend on what the model learned.</p>`
      : `<p data-sanity="passes">${esc(s.method)} passes the randomization check.</p>`) +
    `<table><thead><tr><th>randomized</th><th>verdict</th></tr></thead><tbody>${rows}</tbody></table>` +
    `<p class="legend">Stored by <code>cxr-lens evaluate --sanity</code> on ${esc(s.recordedAt)} (${s.images} images, seed ${s.seed}).</p>`
  )
}

/** The dashboard as a self-contained report: title block, counts, tables with intervals, plots with axes, examples, sanity. */
export function dashboardHtml(d: DashboardData, context: DashboardReportContext = {}): string {
  const base = (f: string) => d.baselines[f]
  const counts: FindingCount[] = Object.entries(d.counts ?? {}).map(([finding, c]) => ({ finding, ...c }))
  const cases = counts.length ? Math.max(...counts.map((c) => c.positives + c.negatives)) : d.cases
  const loc = Object.entries(d.localization)
    .map(
      ([f, l]) =>
        `<tr><td>${esc(f)}</td><td>${l.n_boxes}</td>${(['0.1', '0.25', '0.5'] as const).map((t) => `<td>${fmt(l.iobb_acc[t], 2)} <i>${fmt(base(f)?.prior?.iobb_acc[t], 2) || '–'} · ${fmt(base(f)?.random.iobb_acc[t], 2)}</i></td>`).join('')}` +
        `<td>${fmt(l.iou_mean)} <i>${fmt(base(f)?.prior?.iou_mean) || '–'} · ${fmt(base(f)?.random.iou_mean)}</i></td><td>${fmt(l.hit_rate)} <i>${fmt(base(f)?.prior?.hit_rate) || '–'} · ${fmt(base(f)?.random.hit_rate)}</i></td>` +
        `<td>${d.agreement[f] ? `${fmt(d.agreement[f].meanIou)} (${d.agreement[f].pairs})` : '–'}</td></tr>`,
    )
    .join('')
  const paperRows = Object.entries(d.localizationChestXray8)
    .map(
      ([f, l]) =>
        `<tr><td>${esc(f)}</td><td>${l.n_boxes}</td>${PAPER_T.map((t) => `<td>${fmt(l.iobb_acc[t], 2)} <small>(${fmt(d.paper[t][f], 2) || '–'})</small> <i>${fmt(base(f)?.random.paper_iobb_acc[t], 2)}</i></td>`).join('')}</tr>`,
    )
    .join('')
  const aurocRows = Object.entries(d.classification)
    .map(
      ([f, c]) =>
        `<tr${c.n_pos < MIN_REPORT_POSITIVES ? ' class="few"' : ''}><td>${esc(f)}${fewMark(c.n_pos)}</td><td>${c.n_pos}</td><td>${fmt(c.auroc)}</td><td>${ci(c.auroc_ci)}</td></tr>`,
    )
    .join('')
  const rocs = Object.entries(d.classification)
    .filter(([, c]) => c.roc.length)
    .map(([f, c]) => rocSvg(c.roc, `${f}: AUROC ${fmt(c.auroc)} (95% CI ${ci(c.auroc_ci)}), ${c.n_pos} positives`))
    .join('')
  const scatter = scatterSvg(
    d.scatter.map((p) => ({ x: p.probability, y: p.iou, series: p.finding, title: `${p.image} ${p.finding}` })),
    'model probability of the finding',
    'mask IoU with the radiologist boxes',
    'Model confidence against heatmap IoU, one point per case and boxed finding',
  )
  const meta: ReportMeta = {
    title: `CXR Lens validation report: ${d.model ? `${d.model.id} ${d.model.version}` : 'no model'} · ${d.method}`,
    generatedAt: context.generatedAt ?? new Date().toISOString(),
    dataSource: context.dataSource ?? 'the case database',
    appVersion: context.appVersion ?? '–',
    model: d.model ? { ...d.model, sha256: context.sha256 ?? '' } : null,
    databaseSchema: context.databaseSchema ?? null,
    intendedUse: context.intendedUse ?? null,
    method: d.method,
    cases,
  }
  const body = `${sampleSizeWarning(cases, counts)}
<p class="method">${esc(methodSummary(d.method))}</p>
${countsTable(counts)}
<h2>Classification</h2><p>Macro AUROC ${fmt(d.macroAuroc)} (patient-bootstrap 95% CI ${ci(d.macroAurocCi)}) over ${cases} cases with this model's predictions.</p>
<table><thead><tr><th>Finding</th><th>n pos</th><th>AUROC</th><th>95% CI (DeLong)</th></tr></thead><tbody>${aurocRows}</tbody></table>
<h2>ROC curves</h2>${rocs || '<p>No finding has both positive and negative cases.</p>'}
<h2>Localization (Otsu masks, IoBB ≥ T; <i>prior box · random map</i> in italics)</h2><p>${d.cases} case(s) with heatmaps and boxes.</p><table><thead><tr><th>Finding</th><th>boxes</th><th>T(IoBB) 0.1</th><th>0.25</th><th>0.5</th><th>mean IoU</th><th>hit rate</th><th>reader agreement IoU (pairs)</th></tr></thead><tbody>${loc}</tbody></table>
<p class="legend">Localization figures here are point estimates on the stored maps; <code>cxr-lens evaluate</code> gives each with its patient-bootstrap 95% interval.</p>
<h2>ChestX-ray8 protocol (--protocol chestxray8: maps to [0, 255], thresholds 60 and 180, IoBB &gt; T; ChestX-ray8 Table 4 in brackets, <i>random map</i> in italics)</h2><table><thead><tr><th>Finding</th><th>boxes</th>${PAPER_T.map((t) => `<th>T(IoBB) &gt; ${t}</th>`).join('')}</tr></thead><tbody>${paperRows}</tbody></table>
<h2>Model confidence against heatmap IoU</h2>${scatter}
${sanitySection(d.sanity, d.method)}
${context.examples ?? ''}`
  return reportDocument(meta, body, 'small{color:#6a1b9a}i{color:#777;font-size:11px}.flags{border:2px solid #c62828;padding:4px 12px}')
}
