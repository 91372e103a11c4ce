import type { DashboardData } from '../../shared/domain'
import { esc, rocSvg } from '../evaluation/htmlReport'
import { methodSummary } from '../../shared/explainMethods'

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

/** The dashboard as a self-contained HTML page (tables, ROC curves, confidence-vs-IoU scatter). */
export function dashboardHtml(d: DashboardData): string {
  const base = (f: string) => d.baselines[f]
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
  const rocs = Object.entries(d.classification)
    .filter(([, c]) => c.roc.length)
    .map(([f, c]) => rocSvg(c.roc, `${f} (AUROC ${fmt(c.auroc)})`))
    .join('')
  const size = 320
  const dots = d.scatter
    .map(
      (p) =>
        `<circle cx="${(p.probability * size).toFixed(1)}" cy="${(size - p.iou * size).toFixed(1)}" r="3" fill="#1565c0" opacity="0.6"><title>${esc(p.image)} ${esc(p.finding)}</title></circle>`,
    )
    .join('')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>CXR Lens validation</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{font:14px system-ui,sans-serif;margin:24px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}td:first-child{text-align:left}figure{display:inline-block;margin:6px}small{color:#6a1b9a}i{color:#777;font-size:11px}</style></head><body>
<h1>Validation: ${esc(d.model ? `${d.model.id} ${d.model.version}` : 'no model')} · ${esc(d.method)}</h1><p>${d.cases} case(s) with heatmaps and boxes · macro AUROC ${fmt(d.macroAuroc)}</p>
<p class="method">${esc(methodSummary(d.method))}</p>
<h2>Localization (Otsu masks, IoBB ≥ T; <i>prior box · random map</i> in italics)</h2><table><thead><tr><th>Finding</th><th>boxes</th><th>T(IoBB) 0.1</th><th>0.25</th><th>0.5</th><th>mean IoU</th><th>hit rate</th><th>reader agreement IoU (pairs)</th></tr></thead><tbody>${loc}</tbody></table>
<h2>ChestX-ray8 protocol (maps to [0, 255], thresholds 60 and 180, IoBB &gt; T; ChestX-ray8 Table 4 in brackets, <i>random map</i> in italics)</h2><table><thead><tr><th>Finding</th><th>boxes</th>${PAPER_T.map((t) => `<th>T(IoBB) &gt; ${t}</th>`).join('')}</tr></thead><tbody>${paperRows}</tbody></table>
<h2>ROC curves</h2>${rocs}
<h2>Model confidence against heatmap IoU</h2><svg width="${size}" height="${size}" role="img" aria-label="confidence against IoU"><rect width="${size}" height="${size}" fill="#fafafa" stroke="#ccc"/>${dots}</svg><p><small>x: probability, y: mask IoU with the boxes</small></p>
</body></html>`
}
