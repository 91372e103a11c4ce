/**
 * The HTML report's sections for the measures that let a conclusion be defended: the ChestX-ray8
 * protocol table beside the paper's row, intervals, baselines (prior box, random map), another
 * model's predictions, faithfulness and the randomization check. Pure functions of the report.
 */
import { CHESTXRAY8_TIOBB, IOBB_THRESHOLDS, PAPER_IOBB_THRESHOLDS } from './chestXray8Reference'
import type { BootstrapInterval } from './bootstrap'
import type { EvaluationReport } from './reportTypes'

const escape = (s: string) => s.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`)
const fmt = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? '–' : v.toFixed(digits))
const ci = (i: BootstrapInterval | undefined, digits = 2) =>
  i?.ci95 ? `<span class="ci">${fmt(i.ci95[0], digits)}–${fmt(i.ci95[1], digits)}</span>` : ''
const signed = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}`)

/** Otsu/tuned table: model with its 95% CI, then prior box and random map on the same boxes. */
export function lensLocalizationTable(report: EvaluationReport): string {
  const rows = Object.entries(report.localization).map(([f, r]) => {
    const p = report.localization_prior[f]
    const rnd = report.localization_random?.[f]
    const intervals = report.localization_ci?.[f]
    const flag = report.not_beating_prior.includes(f) ? ' class="flag" title="does not beat the fixed prior box on mean IoU"' : ''
    const cell = (
      value: number | null | undefined,
      figure: string,
      prior: number | null | undefined,
      random: number | null | undefined,
      d = 2,
    ) =>
      `<td>${fmt(value, d)}${ci(intervals?.arms.model?.[figure], d)}<span class="prior">${fmt(prior, d)}</span><span class="random">${fmt(random, d)}</span></td>`
    const cells = IOBB_THRESHOLDS.map((t) => cell(r.iobb_acc[t], `iobb_${t}`, p?.iobb_acc[t], rnd?.iobb_acc[t]))
    const diff = intervals?.differences.model_minus_prior?.iou_mean
    return (
      `<tr${flag}><td>${escape(f)}</td><td>${r.n_boxes}</td><td>${intervals?.patients ?? '–'}</td>${cells.join('')}${cell(r.iou_mean, 'iou_mean', p?.iou_mean, rnd?.iou_mean, 3)}` +
      `${cell(r.hit_rate, 'hit_rate', p?.hit_rate, rnd?.hit_rate)}<td>${signed(diff?.estimate)}${ci(diff)}</td></tr>`
    )
  })
  return (
    `<table><thead><tr><th>Finding</th><th>boxes</th><th>patients</th>${IOBB_THRESHOLDS.map((t) => `<th>T(IoBB ≥ ${t})</th>`).join('')}<th>mean IoU</th><th>hit rate</th><th>IoU model − prior</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table><p class="legend">Mask: ${escape(report.threshold)}; a box is found when IoBB ≥ T. Each cell: this model with its ` +
    `<span class="ci">patient-bootstrap 95% CI</span> · <span class="prior">fixed prior box</span> · <span class="random">random map</span>. ` +
    'Rows in red do not beat the prior box on mean IoU. Not comparable with the ChestX-ray8 paper: see the next table.</p>'
  )
}

/** The paper's protocol beside the paper's Table 4 row. */
export function paperLocalizationTable(report: EvaluationReport): string {
  const paper = report.localization_chestxray8 ?? {}
  const rows = Object.entries(paper).map(([f, r]) => {
    const p = report.localization_chestxray8_prior?.[f]
    const rnd = report.localization_chestxray8_random?.[f]
    const intervals = report.localization_ci?.[f]
    const cells = PAPER_IOBB_THRESHOLDS.map(
      (t) =>
        `<td>${fmt(r.iobb_acc[t])}${ci(intervals?.arms.model?.[`paper_iobb_${t}`])}<span class="paper">${fmt(CHESTXRAY8_TIOBB[t][f])}</span>` +
        `<span class="prior">${fmt(p?.iobb_acc[t])}</span><span class="random">${fmt(rnd?.iobb_acc[t])}</span><span class="split">${fmt(r.by_map_threshold['60']?.[t])} / ${fmt(r.by_map_threshold['180']?.[t])}</span></td>`,
    )
    return `<tr><td>${escape(f)}</td><td>${r.n_boxes}</td>${cells.join('')}</tr>`
  })
  return (
    `<table><thead><tr><th>Finding</th><th>boxes</th>${PAPER_IOBB_THRESHOLDS.map((t) => `<th>T(IoBB &gt; ${t})</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>` +
    '<p class="legend">The paper\'s protocol (what <code>--protocol chestxray8</code> scores): each map normalized to [0, 255], thresholded at 60 and at 180, every connected region boxed (both thresholds\' boxes pooled); ' +
    'a radiologist box is found when some box has IoBB &gt; T (strict). Each cell: this model with its <span class="ci">95% CI</span> · ' +
    '<span class="paper">ChestX-ray8 (Wang et al. 2017, Table 4)</span> (ResNet-50, 32×32 CAM, on 983 images with 1,600 boxes) · <span class="prior">fixed prior box</span> · ' +
    `<span class="random">random map</span> · <span class="split">boxes of 60 only / 180 only</span>. This model's maps are ${escape(report.method)} on its own feature grid.</p>`
  )
}

export function comparePredictionsTable(report: EvaluationReport): string {
  const c = report.compare_predictions
  if (!c) return ''
  const rows = Object.entries(c.classification).map(
    ([f, r]) =>
      `<tr${r.few_positives ? ' class="few" title="fewer than 10 positives"' : ''}><td>${escape(f)}</td><td>${r.n_pos}</td><td>${fmt(r.auroc_a, 3)}</td><td>${fmt(r.auroc_b, 3)}` +
      `${r.auroc_ci_bootstrap_external ? `<span class="ci">${fmt(r.auroc_ci_bootstrap_external[0], 3)}–${fmt(r.auroc_ci_bootstrap_external[1], 3)}</span>` : ''}</td>` +
      `<td>${signed(r.difference)}${r.difference_ci95 ? `<span class="ci">${fmt(r.difference_ci95[0])}–${fmt(r.difference_ci95[1])}</span>` : ''}</td><td>${fmt(r.delong_p, 3)}</td></tr>`,
  )
  return (
    `<h2>Beside another model: ${escape(c.file)}</h2><p>${c.images_matched} of ${report.images} images have its predictions (${c.images_missing} without); both are scored on those only. ` +
    `Macro AUROC: this model ${fmt(c.macro_auroc_model, 3)}, ${escape(c.file)} ${fmt(c.macro_auroc_external, 3)}.</p>` +
    `<table><thead><tr><th>Finding</th><th>n pos</th><th>AUROC this model</th><th>AUROC file (95% CI)</th><th>difference (bootstrap CI)</th><th>DeLong paired p</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    '<p class="legend">Rows in grey have fewer than 10 positives: read their intervals and p-values with care.</p>'
  )
}

export function faithfulnessTable(report: EvaluationReport): string {
  const f = report.faithfulness
  if (!f) return ''
  const rows = Object.entries(f.rows).map(
    ([finding, r]) =>
      `<tr${r.fails ? ' class="flag"' : ''}><td>${escape(finding)}</td><td>${r.cases}</td><td>${fmt(r.deletion_auc.estimate, 3)}${ci(r.deletion_auc, 3)}</td><td>${fmt(r.random_deletion_auc.estimate, 3)}</td>` +
      `<td>${signed(r.deletion_minus_random.estimate)}${ci(r.deletion_minus_random)}</td><td>${fmt(r.insertion_auc.estimate, 3)}${ci(r.insertion_auc, 3)}</td><td>${fmt(r.random_insertion_auc.estimate, 3)}</td>` +
      `<td>${signed(r.insertion_minus_random.estimate)}${ci(r.insertion_minus_random)}</td></tr>`,
  )
  return (
    `<h2>Faithfulness: deletion and insertion (${escape(f.method)})</h2><table><thead><tr><th>Finding</th><th>cases</th><th>deletion AUC ↓</th><th>random map</th><th>difference</th>` +
    `<th>insertion AUC ↑</th><th>random map</th><th>difference</th></tr></thead><tbody>${rows.join('')}</tbody></table><p class="legend">${escape(f.definition)}. ` +
    "Rows in red: the map's order does no better than a random map's order on deletion or on insertion.</p>"
  )
}

export function sanityTable(report: EvaluationReport): string {
  const s = report.sanity
  if (!s) return ''
  const rows = Object.entries(s.summary).map(([layers, r]) => {
    const v = s.verdict[layers]
    return (
      `<tr${v?.fails ? ' class="flag"' : ''}><td>${escape(layers)}</td><td>${r!.pairs}</td><td>${fmt(r!.rho.median)}<span class="ci">${fmt(r!.rho.q25)}–${fmt(r!.rho.q75)}</span></td>` +
      `<td>${fmt(r!.ssim.median)}<span class="ci">${fmt(r!.ssim.q25)}–${fmt(r!.ssim.q75)}</span></td><td>${r!.identical}</td><td>${v?.fails ? `fails: ${escape(v.reasons.join('; '))}` : 'passes'}</td></tr>`
    )
  })
  const verdict = s.fails
    ? `<p class="flags" data-sanity="fails"><strong>${escape(s.method)} fails the randomization check</strong>: its maps barely change when the model's learned weights are replaced, so they do not show what the model learned.</p>`
    : `<p data-sanity="passes">${escape(s.method)} passes the randomization check.</p>`
  return (
    `<h2>Sanity: model-parameter randomization (${escape(s.method)})</h2>${verdict}<table><thead><tr><th>randomized</th><th>image × finding pairs</th><th>Spearman ρ median (IQR)</th>` +
    `<th>SSIM median (IQR)</th><th>maps unchanged</th><th>verdict</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    `<p class="legend">Adebayo et al. 2018, cascading: the head, then head + last block re-initialized (seed ${s.seed}), on ${s.images.length} images; ` +
    'maps compared on the 224² evaluation grid. A method fails when the median ρ or SSIM exceeds 0.5 or over half the maps are unchanged: its maps do not depend on what the model learned.</p>'
  )
}

export function flagsBox(report: EvaluationReport): string {
  const flags = report.explanation_flags ?? []
  return flags.length
    ? `<div class="flags"><strong>Flagged:</strong><ul>${flags.map((f) => `<li>${escape(f)}</li>`).join('')}</ul></div>`
    : ''
}

export const SECTION_STYLE =
  '.ci{display:block;font-size:10px;color:#1565c0}.random{display:block;font-size:11px;color:#a0522d}.split{display:block;font-size:10px;color:#999}' +
  '.few td{background:#f5f5f5}.flags{border:2px solid #c62828;padding:4px 12px;margin:8px 0}'
