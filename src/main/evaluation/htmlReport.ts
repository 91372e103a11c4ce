import { methodSummary } from '../../shared/explainMethods'
import sharp from 'sharp'
import { renderOverlay } from '../explain/heatmapRender'
import type { ModelManifest } from '../model/manifest'
import { EVAL_GRID, type CaseOutput } from './evaluate'
import type { ClassificationRow, EvaluationReport } from './reportTypes'
import {
  comparePredictionsTable,
  faithfulnessTable,
  flagsBox,
  lensLocalizationTable,
  paperLocalizationTable,
  sanityTable,
  SECTION_STYLE,
} from './reportSections'
import { rocCurve } from '../stats/roc'

export const esc = (s: string) => s.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`)
const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '–' : v.toFixed(digits))

export function rocSvg(points: Array<[number, number]>, title: string): string {
  const size = 160
  const path = points.map(([x, y]) => `${(x * size).toFixed(1)},${(size - y * size).toFixed(1)}`).join(' ')
  return (
    `<figure><svg width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img" aria-label="ROC ${esc(title)}">` +
    `<rect width="${size}" height="${size}" fill="#fafafa" stroke="#ccc"/><line x1="0" y1="${size}" x2="${size}" y2="0" stroke="#bbb" stroke-dasharray="4"/>` +
    `<polyline points="${path}" fill="none" stroke="#1565c0" stroke-width="2"/></svg><figcaption>${esc(title)}</figcaption></figure>`
  )
}

function classificationTable(report: EvaluationReport, findings: string[]): string {
  const rows = findings.map((f) => {
    const r = report.classification[f] as ClassificationRow
    return (
      `<tr><td>${esc(f)}</td><td>${r.n_pos}</td><td>${fmt(r.auroc)}</td><td>${r.auroc_ci ? `${fmt(r.auroc_ci[0])}–${fmt(r.auroc_ci[1])}` : '–'}</td>` +
      `<td>${r.auroc_ci_bootstrap ? `${fmt(r.auroc_ci_bootstrap[0])}–${fmt(r.auroc_ci_bootstrap[1])}` : '–'}${r.few_positives ? ' <span class="few-flag" title="fewer than 10 positives">(&lt;10 pos)</span>' : ''}</td>` +
      `<td>${fmt(r.threshold, 2)}</td><td>${fmt(r.f1)}</td><td>${fmt(r.precision)}</td><td>${fmt(r.recall)}</td>` +
      `<td class="cm">TP ${r.tp} · FN ${r.fn}<br>FP ${r.fp} · TN ${r.tn}</td></tr>`
    )
  })
  return (
    `<table><thead><tr><th>Finding</th><th>n pos</th><th>AUROC</th><th>95% CI (DeLong)</th><th>95% CI (patient bootstrap)</th><th>threshold</th><th>F1</th><th>precision</th><th>recall</th><th>confusion</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody><tfoot><tr><td>macro</td><td></td><td>${fmt(report.classification.macro_auroc)}</td><td colspan="7"></td></tr></tfoot></table>`
  )
}

async function examples(outputs: CaseOutput[], count: number): Promise<string> {
  const picked = outputs.filter((o) => o.maps.size > 0).slice(0, count)
  const figures = await Promise.all(
    picked.map(async (o) => {
      const [finding, map] = [...o.maps.entries()][0]
      const meta = await sharp(o.c.path).metadata()
      const boxes = o.c.boxes
        .get(finding)!
        .map((b) => ({ x: b.x * meta.width!, y: b.y * meta.height!, w: b.w * meta.width!, h: b.h * meta.height! }))
      const png = await renderOverlay({ image: o.c.path, map, mapHeight: EVAL_GRID, mapWidth: EVAL_GRID, boxes })
      const small = await sharp(png).resize({ width: 320 }).png().toBuffer()
      return `<figure><img alt="${esc(o.c.image)} ${esc(finding)}" src="data:image/png;base64,${small.toString('base64')}"><figcaption>${esc(o.c.image)}: ${esc(finding)}</figcaption></figure>`
    }),
  )
  return figures.join('')
}

/** A self-contained HTML report (inline SVG and PNG, no scripts) for clinical advisors. */
export async function htmlReport(report: EvaluationReport, outputs: CaseOutput[], manifest: ModelManifest): Promise<string> {
  const rocs = manifest.findings.map((f, c) => {
    const labels = outputs.map((o) => (o.c.findings.has(f) ? 1 : 0))
    if (!labels.some(Boolean) || labels.every(Boolean)) return ''
    return rocSvg(
      rocCurve(
        outputs.map((o) => o.probabilities[c]),
        labels,
      ),
      `${f} (AUROC ${fmt((report.classification[f] as ClassificationRow).auroc)})`,
    )
  })
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>CXR Lens evaluation: ${esc(manifest.id)} ${esc(manifest.version)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}.paper,.prior{display:block;font-size:11px}.paper{color:#6a1b9a}.prior{color:#777}.flag td{background:#ffebee}
figure{display:inline-block;margin:6px}figcaption{font-size:12px;text-align:center}.cm{font-size:11px}.legend{font-size:12px}${SECTION_STYLE}</style></head><body>
<h1>Evaluation of ${esc(manifest.id)} ${esc(manifest.version)}</h1>
<p>${report.images} images · heatmaps: ${esc(report.method)} · mask threshold: ${esc(report.threshold)} · provider ${esc(report.provider)} · ${report.seconds.toFixed(1)} s · model sha256 ${esc(manifest.sha256.slice(0, 16))}…</p>
<p>${esc(methodSummary(report.method))}</p>
<p>Intended use: ${esc(manifest.modelCard.intendedUse)}</p>
<p>${esc(oodLine(report.ood))}</p>
<h2>Classification</h2>${classificationTable(report, manifest.findings)}
<h2>ROC curves</h2>${rocs.join('')}
${flagsBox(report)}
${comparePredictionsTable(report)}
<h2>Localization against radiologist boxes</h2>${
    report.protocol === 'chestxray8'
      ? `<h3>ChestX-ray8 protocol (the paper's row beside it)</h3>${paperLocalizationTable(report)}<h3>CXR Lens masks</h3>${lensLocalizationTable(report)}`
      : `${lensLocalizationTable(report)}<h3>ChestX-ray8 protocol (the paper's row beside it)</h3>${paperLocalizationTable(report)}`
  }
${faithfulnessTable(report)}
${sanityTable(report)}
<h2>Examples</h2><p class="legend">Heatmap (${esc(report.method)}) with the radiologist boxes in yellow.</p>${await examples(outputs, 6)}
</body></html>`
}

/** The report's out-of-distribution line: how many images were flagged, and that none was left out. */
export function oodLine(ood: EvaluationReport['ood']): string {
  if (!ood) return 'Out-of-distribution check: not run.'
  if (ood.flagged === null) return `Out-of-distribution check: none (${ood.unavailable}); no image excluded.`
  return `Out-of-distribution check (${ood.method}, threshold ${ood.threshold.toFixed(2)}): ${ood.flagged} of ${ood.images} images flagged (${(100 * ood.rate).toFixed(1)}%); flagged images are kept in every figure, none excluded.`
}
