/**
 * What makes a report readable by a committee, shared by the evaluation report (`evaluate --html`)
 * and the dashboard's (`export report`, the app's Export): the title block with date, data source,
 * app / model / database versions and the model card's intended use; the "not for diagnosis"
 * notice; the per-finding case counts; the sample-size rule and its warning; the print style and the
 * PDF footer with page numbers. Pure functions of their arguments: no I/O.
 */

export const NOT_FOR_DIAGNOSIS = 'For research and reader studies, not for diagnosis'

/**
 * The sample-size rule every figure is read against: an AUROC (or any per-finding figure) on fewer
 * than MIN_REPORT_POSITIVES positives, or a report on fewer than MIN_REPORT_CASES cases, is shown with
 * a warning. 10 positives matches MIN_POSITIVES of the evaluation's bootstrap flag.
 */
export const MIN_REPORT_POSITIVES = 10
export const MIN_REPORT_CASES = 30
export const SAMPLE_SIZE_RULE = `fewer than ${MIN_REPORT_POSITIVES} positives for a finding, or fewer than ${MIN_REPORT_CASES} cases in all`

export const esc = (s: string) => s.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`)
export const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '–' : v.toFixed(digits))
export const ciText = (ci: readonly [number, number] | null | undefined, digits = 3) =>
  ci ? `95% CI ${fmt(ci[0], digits)}–${fmt(ci[1], digits)}` : '95% CI –'

export interface ReportMeta {
  title: string
  /** when the report was made (ISO 8601); a parameter so a test can fix it */
  generatedAt: string
  /** where the cases came from, in words (folders and CSVs, or the data folder's store) */
  dataSource: string
  appVersion: string
  model: { id: string; version: string; sha256: string } | null
  /** the case database's schema version; null where the report was made without one (evaluate reads folders) */
  databaseSchema: number | null
  intendedUse: string | null
  method: string
  cases: number
  /** further lines of the versions table (provider, protocol, bootstrap…) */
  extra?: Array<[string, string]>
}

export interface FindingCount {
  finding: string
  positives: number
  negatives: number
  boxes: number
}

/** A visible warning: a report under the minimum size says so on its first page. */
export function sampleSizeWarning(cases: number, counts: FindingCount[]): string {
  const few = counts.filter((c) => c.positives > 0 && c.positives < MIN_REPORT_POSITIVES).map((c) => c.finding)
  const lines: string[] = []
  if (cases < MIN_REPORT_CASES)
    lines.push(
      `Only ${cases} case${cases === 1 ? '' : 's'}: under the minimum of ${MIN_REPORT_CASES}, no figure here supports a conclusion.`,
    )
  if (few.length)
    lines.push(`Fewer than ${MIN_REPORT_POSITIVES} positives for ${few.map(esc).join(', ')}: read their figures and intervals with care.`)
  if (!lines.length) return ''
  return `<div class="warning" role="alert"><strong>Sample-size warning</strong> (rule: ${esc(SAMPLE_SIZE_RULE)}). ${lines.join(' ')}</div>`
}

/** The marker after a figure whose sample is under the rule. */
export const fewMark = (positives: number) =>
  positives < MIN_REPORT_POSITIVES ? ` <span class="few-flag" title="${esc(SAMPLE_SIZE_RULE)}">(n&lt;${MIN_REPORT_POSITIVES})</span>` : ''

/** Title, notice, versions and data source, intended use: the top of the first page. */
export function reportHeader(meta: ReportMeta): string {
  const rows: Array<[string, string]> = [
    ['Date', meta.generatedAt],
    ['Data source', meta.dataSource],
    ['Cases', String(meta.cases)],
    ['CXR Lens', meta.appVersion],
    ['Model', meta.model ? `${meta.model.id} ${meta.model.version}` : 'none installed'],
    ['Model sha256', meta.model?.sha256 || '–'],
    ['Database schema', meta.databaseSchema === null ? 'not used (cases read from files)' : `version ${meta.databaseSchema}`],
    ['Explanation method', meta.method],
    ...(meta.extra ?? []),
  ]
  return (
    `<header><h1>${esc(meta.title)}</h1><p class="notice" data-notice>${NOT_FOR_DIAGNOSIS}.</p>` +
    `<table class="meta"><tbody>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>` +
    `<p><strong>Intended use</strong> (model card): ${esc(meta.intendedUse ?? 'not stated in the model card')}</p></header>`
  )
}

/** Positives, negatives and boxes per finding: what every figure below rests on. */
export function countsTable(counts: FindingCount[]): string {
  const rows = counts
    .map(
      (c) =>
        `<tr${c.positives < MIN_REPORT_POSITIVES ? ' class="few"' : ''}><td>${esc(c.finding)}</td><td>${c.positives}</td><td>${c.negatives}</td><td>${c.boxes}</td></tr>`,
    )
    .join('')
  return (
    `<h2>Cases per finding</h2><table class="counts"><thead><tr><th>Finding</th><th>positives</th><th>negatives</th><th>radiologist boxes</th></tr></thead>` +
    `<tbody>${rows}</tbody></table><p class="legend">Rows in grey: fewer than ${MIN_REPORT_POSITIVES} positives.</p>`
  )
}

/** Print style shared by both reports: A4, tables that do not split a row, figures kept whole. */
export const REPORT_STYLE =
  'body{font:13px system-ui,sans-serif;margin:0 8px;color:#222}h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;margin:18px 0 6px;break-after:avoid}' +
  'table{border-collapse:collapse;margin:8px 0;font-size:11px;max-width:100%}td,th{border:1px solid #ddd;padding:2px 5px;text-align:right}td:first-child,th:first-child{text-align:left}' +
  // a legend names the styled figures inline; in a cell each sits on its own line
  '.legend .ci,.legend .prior,.legend .random,.legend .paper,.legend .split{display:inline}.ci{white-space:nowrap}' +
  'tr{break-inside:avoid}figure{display:inline-block;margin:6px;break-inside:avoid;vertical-align:top}figcaption{font-size:11px;text-align:center;max-width:340px}' +
  '.meta th{background:#f5f5f5;text-align:left}.meta td{text-align:left}.notice{border:2px solid #c62828;color:#c62828;font-weight:600;padding:4px 10px;display:inline-block}' +
  '.warning{border:2px solid #e65100;background:#fff3e0;padding:4px 10px;margin:8px 0}.few td{background:#f5f5f5}.few-flag{color:#e65100;font-size:11px}' +
  '.legend{font-size:11px;color:#444}.cm{font-size:11px}.flag td{background:#ffebee}.pair{display:flex;gap:4px}.pair img{width:230px;height:230px}.example figcaption{max-width:464px}'

/**
 * The PDF footer on every page (Chromium's print header/footer: pageNumber and totalPages are filled
 * in by the printer; the template's own styles apply, nothing of the page's). Used by Electron's
 * printToPDF and by the CLI's Chromium alike.
 */
export const PDF_FOOTER_TEMPLATE =
  `<div style="font:8px sans-serif;width:100%;padding:0 10mm;display:flex;justify-content:space-between;color:#555">` +
  `<span>CXR Lens · ${NOT_FOR_DIAGNOSIS}</span><span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>`
export const PDF_HEADER_TEMPLATE = '<span></span>'
/** Room at the bottom of each page for the footer. */
export const PDF_MARGINS_MM = { top: 12, bottom: 16, left: 10, right: 10 }

/** The document around the sections: CSP allows nothing but inline style and data: images. */
export function reportDocument(meta: ReportMeta, body: string, extraStyle = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(meta.title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<style>${REPORT_STYLE}${extraStyle}</style></head><body>
${reportHeader(meta)}
${body}
<footer class="legend"><p>${NOT_FOR_DIAGNOSIS}. Made by CXR Lens ${esc(meta.appVersion)} on ${esc(meta.generatedAt)}.</p></footer>
</body></html>`
}
