import type { DashboardData } from '../../shared/domain'
import { esc, rocSvg } from '../evaluation/htmlReport'
import { methodSummary } from '../../shared/explainMethods'

const fmt = (v: number | null | undefined, d = 3) => (v === null || v === undefined ? '' : v.toFixed(d))
const csvCell = (v: string | number) => (typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)

/** One row per finding: the localization table, the paper's row, AUROC and reader agreement. */
export function dashboardCsv(d: DashboardData): string {
  const header = ['finding', 'n_boxes', 'iobb_0.1', 'iobb_0.25', 'iobb_0.5', 'iou_mean', 'hit_rate', 'paper_iobb_0.1', 'paper_iobb_0.25', 'paper_iobb_0.5', 'n_pos', 'auroc', 'auroc_ci_lo', 'auroc_ci_hi', 'reader_pairs', 'reader_iou']
  const findings = [...new Set([...Object.keys(d.localization), ...Object.keys(d.classification)])]
  const rows = findings.map((f) => {
    const l = d.localization[f]
    const c = d.classification[f]
    const a = d.agreement[f]
    return [f, l?.n_boxes ?? '', fmt(l?.iobb_acc['0.1']), fmt(l?.iobb_acc['0.25']), fmt(l?.iobb_acc['0.5']), fmt(l?.iou_mean), fmt(l?.hit_rate),
      fmt(d.paper['0.1'][f], 4), fmt(d.paper['0.25'][f], 4), fmt(d.paper['0.5'][f], 4), c?.n_pos ?? '', fmt(c?.auroc), fmt(c?.auroc_ci?.[0]), fmt(c?.auroc_ci?.[1]),
      a?.pairs ?? '', fmt(a?.meanIou)].map((v) => csvCell(v))
  })
  return [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n'
}

/** The dashboard as a self-contained HTML page (tables, ROC curves, confidence-vs-IoU scatter). */
export function dashboardHtml(d: DashboardData): string {
  const loc = Object.entries(d.localization).map(([f, l]) =>
    `<tr><td>${esc(f)}</td><td>${l.n_boxes}</td>${(['0.1', '0.25', '0.5'] as const).map((t) => `<td>${fmt(l.iobb_acc[t], 2)} <small>(${fmt(d.paper[t][f], 2) || '–'})</small></td>`).join('')}` +
    `<td>${fmt(l.iou_mean)}</td><td>${fmt(l.hit_rate)}</td><td>${d.agreement[f] ? `${fmt(d.agreement[f].meanIou)} (${d.agreement[f].pairs})` : '–'}</td></tr>`).join('')
  const rocs = Object.entries(d.classification).filter(([, c]) => c.roc.length).map(([f, c]) => rocSvg(c.roc, `${f} (AUROC ${fmt(c.auroc)})`)).join('')
  const size = 320
  const dots = d.scatter.map((p) => `<circle cx="${(p.probability * size).toFixed(1)}" cy="${(size - p.iou * size).toFixed(1)}" r="3" fill="#1565c0" opacity="0.6"><title>${esc(p.image)} ${esc(p.finding)}</title></circle>`).join('')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>CXR Lens validation</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{font:14px system-ui,sans-serif;margin:24px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}td:first-child{text-align:left}figure{display:inline-block;margin:6px}small{color:#6a1b9a}</style></head><body>
<h1>Validation: ${esc(d.model ? `${d.model.id} ${d.model.version}` : 'no model')} · ${esc(d.method)}</h1><p>${d.cases} case(s) with heatmaps and boxes · macro AUROC ${fmt(d.macroAuroc)}</p>
<p class="method">${esc(methodSummary(d.method))}</p>
<h2>Localization (ChestX-ray8 Table 4 in brackets)</h2><table><thead><tr><th>Finding</th><th>boxes</th><th>T(IoBB) 0.1</th><th>0.25</th><th>0.5</th><th>mean IoU</th><th>hit rate</th><th>reader agreement IoU (pairs)</th></tr></thead><tbody>${loc}</tbody></table>
<h2>ROC curves</h2>${rocs}
<h2>Model confidence against heatmap IoU</h2><svg width="${size}" height="${size}" role="img" aria-label="confidence against IoU"><rect width="${size}" height="${size}" fill="#fafafa" stroke="#ccc"/>${dots}</svg><p><small>x: probability, y: mask IoU with the boxes</small></p>
</body></html>`
}
