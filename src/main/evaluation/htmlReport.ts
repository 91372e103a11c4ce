import { methodSummary } from '../../shared/explainMethods'
import sharp from 'sharp'
import { renderOverlay } from '../explain/heatmapRender'
import type { ModelManifest } from '../model/manifest'
import { CHESTXRAY8_TIOBB, IOBB_THRESHOLDS } from './chestXray8Reference'
import { EVAL_GRID, type CaseOutput } from './evaluate'
import type { ClassificationRow, EvaluationReport } from './reportTypes'
import { rocCurve } from '../stats/roc'

export const esc = (s: string) => s.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`)
const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '–' : v.toFixed(digits))

export function rocSvg(points: Array<[number, number]>, title: string): string {
  const size = 160
  const path = points.map(([x, y]) => `${(x * size).toFixed(1)},${(size - y * size).toFixed(1)}`).join(' ')
  return `<figure><svg width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img" aria-label="ROC ${esc(title)}">` +
    `<rect width="${size}" height="${size}" fill="#fafafa" stroke="#ccc"/><line x1="0" y1="${size}" x2="${size}" y2="0" stroke="#bbb" stroke-dasharray="4"/>` +
    `<polyline points="${path}" fill="none" stroke="#1565c0" stroke-width="2"/></svg><figcaption>${esc(title)}</figcaption></figure>`
}

function classificationTable(report: EvaluationReport, findings: string[]): string {
  const rows = findings.map((f) => {
    const r = report.classification[f] as ClassificationRow
    return `<tr><td>${esc(f)}</td><td>${r.n_pos}</td><td>${fmt(r.auroc)}</td><td>${r.auroc_ci ? `${fmt(r.auroc_ci[0])}–${fmt(r.auroc_ci[1])}` : '–'}</td>` +
      `<td>${fmt(r.threshold, 2)}</td><td>${fmt(r.f1)}</td><td>${fmt(r.precision)}</td><td>${fmt(r.recall)}</td>` +
      `<td class="cm">TP ${r.tp} · FN ${r.fn}<br>FP ${r.fp} · TN ${r.tn}</td></tr>`
  })
  return `<table><thead><tr><th>Finding</th><th>n pos</th><th>AUROC</th><th>95% CI (DeLong)</th><th>threshold</th><th>F1</th><th>precision</th><th>recall</th><th>confusion</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody><tfoot><tr><td>macro</td><td></td><td>${fmt(report.classification.macro_auroc)}</td><td colspan="6"></td></tr></tfoot></table>`
}

function localizationTable(report: EvaluationReport): string {
  const rows = Object.entries(report.localization).map(([f, r]) => {
    const p = report.localization_prior[f]
    const flag = report.not_beating_prior.includes(f) ? ' class="flag" title="does not beat the fixed prior box on mean IoU"' : ''
    const cells = IOBB_THRESHOLDS.map((t) => `<td>${fmt(r.iobb_acc[t], 2)}<span class="paper">${fmt(CHESTXRAY8_TIOBB[t][f], 2)}</span><span class="prior">${fmt(p?.iobb_acc[t], 2)}</span></td>`)
    return `<tr${flag}><td>${esc(f)}</td><td>${r.n_boxes}</td>${cells.join('')}<td>${fmt(r.iou_mean)}<span class="prior">${fmt(p?.iou_mean)}</span></td>` +
      `<td>${fmt(r.hit_rate)}<span class="prior">${fmt(p?.hit_rate)}</span></td></tr>`
  })
  return `<table><thead><tr><th>Finding</th><th>boxes</th>${IOBB_THRESHOLDS.map((t) => `<th>T(IoBB) ${t}</th>`).join('')}<th>mean IoU</th><th>hit rate</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table><p class="legend">Each cell: this model · <span class="paper">ChestX-ray8 (Wang et al. 2017, Table 4)</span> · ` +
    `<span class="prior">fixed prior box</span>. Rows in red do not beat the prior box on mean IoU.</p>`
}

async function examples(outputs: CaseOutput[], count: number): Promise<string> {
  const picked = outputs.filter((o) => o.maps.size > 0).slice(0, count)
  const figures = await Promise.all(picked.map(async (o) => {
    const [finding, map] = [...o.maps.entries()][0]
    const meta = await sharp(o.c.path).metadata()
    const boxes = o.c.boxes.get(finding)!.map((b) => ({ x: b.x * meta.width!, y: b.y * meta.height!, w: b.w * meta.width!, h: b.h * meta.height! }))
    const png = await renderOverlay({ image: o.c.path, map, mapHeight: EVAL_GRID, mapWidth: EVAL_GRID, boxes })
    const small = await sharp(png).resize({ width: 320 }).png().toBuffer()
    return `<figure><img alt="${esc(o.c.image)} ${esc(finding)}" src="data:image/png;base64,${small.toString('base64')}"><figcaption>${esc(o.c.image)}: ${esc(finding)}</figcaption></figure>`
  }))
  return figures.join('')
}

/** A self-contained HTML report (inline SVG and PNG, no scripts) for clinical advisors. */
export async function htmlReport(report: EvaluationReport, outputs: CaseOutput[], manifest: ModelManifest): Promise<string> {
  const rocs = manifest.findings.map((f, c) => {
    const labels = outputs.map((o) => (o.c.findings.has(f) ? 1 : 0))
    if (!labels.some(Boolean) || labels.every(Boolean)) return ''
    return rocSvg(rocCurve(outputs.map((o) => o.probabilities[c]), labels), `${f} (AUROC ${fmt((report.classification[f] as ClassificationRow).auroc)})`)
  })
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>CXR Lens evaluation: ${esc(manifest.id)} ${esc(manifest.version)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}.paper,.prior{display:block;font-size:11px}.paper{color:#6a1b9a}.prior{color:#777}.flag td{background:#ffebee}
figure{display:inline-block;margin:6px}figcaption{font-size:12px;text-align:center}.cm{font-size:11px}.legend{font-size:12px}</style></head><body>
<h1>Evaluation of ${esc(manifest.id)} ${esc(manifest.version)}</h1>
<p>${report.images} images · heatmaps: ${esc(report.method)} · mask threshold: ${esc(report.threshold)} · provider ${esc(report.provider)} · ${report.seconds.toFixed(1)} s · model sha256 ${esc(manifest.sha256.slice(0, 16))}…</p>
<p>${esc(methodSummary(report.method))}</p>
<p>Intended use: ${esc(manifest.modelCard.intendedUse)}</p>
<h2>Classification</h2>${classificationTable(report, manifest.findings)}
<h2>ROC curves</h2>${rocs.join('')}
<h2>Localization against radiologist boxes</h2>${localizationTable(report)}
<h2>Examples</h2><p class="legend">Heatmap (${esc(report.method)}) with the radiologist boxes in yellow.</p>${await examples(outputs, 6)}
</body></html>`
}
