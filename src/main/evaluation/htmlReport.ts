import { methodSummary } from '../../shared/explainMethods'
import type { ModelManifest } from '../model/manifest'
import { APP_VERSION } from '../config/version'
import { rocCurve } from '../stats/roc'
import { EVAL_GRID, type CaseOutput } from './evaluate'
import { scoreArm } from './localizationArms'
import { toGrid } from './localizationSummary'
import { macroAurocBootstrap } from './macroAuroc'
import { wilson95 } from './proportionInterval'
import { examplesSection, pickExamples, type ExampleCandidate } from './reportExamples'
import { countsTable, esc, fewMark, fmt, reportDocument, sampleSizeWarning, type FindingCount, type ReportMeta } from './reportFrame'
import { rocSvg } from './reportPlots'
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

// Kept here for older importers; the plots and helpers live in reportPlots.ts / reportFrame.ts.
export { esc, rocSvg }

const interval = (ci: readonly [number, number] | null | undefined, digits = 3) =>
  ci ? `<span class="ci">${fmt(ci[0], digits)}–${fmt(ci[1], digits)}</span>` : '<span class="ci">–</span>'

function classificationTable(report: EvaluationReport, findings: string[], macroCi: [number, number] | null): string {
  const rows = findings.map((f) => {
    const r = report.classification[f] as ClassificationRow
    return (
      `<tr${r.n_pos < 10 ? ' class="few"' : ''}><td>${esc(f)}${fewMark(r.n_pos)}</td><td>${r.n_pos}</td><td>${fmt(r.auroc)}${interval(r.auroc_ci)}</td>` +
      `<td>${r.auroc_ci_bootstrap ? `${fmt(r.auroc_ci_bootstrap[0])}–${fmt(r.auroc_ci_bootstrap[1])}` : '–'}</td>` +
      `<td>${fmt(r.threshold, 2)}</td><td>${fmt(r.precision)}${interval(wilson95(r.tp, r.tp + r.fp))}</td><td>${fmt(r.recall)}${interval(wilson95(r.tp, r.tp + r.fn))}</td>` +
      `<td>${fmt(r.f1)}</td><td class="cm">TP ${r.tp} · FN ${r.fn}<br>FP ${r.fp} · TN ${r.tn}</td></tr>`
    )
  })
  return (
    `<table><thead><tr><th>Finding</th><th>n pos</th><th>AUROC (DeLong 95% CI)</th><th>AUROC 95% CI (patient bootstrap)</th><th>threshold</th>` +
    `<th>precision (Wilson 95% CI)</th><th>recall (Wilson 95% CI)</th><th>F1</th><th>confusion</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody><tfoot><tr><td>macro</td><td></td><td>${fmt(report.classification.macro_auroc)}${interval(macroCi)}</td>` +
    `<td>${macroCi ? `${fmt(macroCi[0])}–${fmt(macroCi[1])}` : '–'}</td><td colspan="5"></td></tr></tfoot></table>` +
    '<p class="legend">Under each figure its 95% interval. F1 has none of its own: read it through the precision and recall intervals.</p>'
  )
}

function countsOf(outputs: CaseOutput[], findings: string[]): FindingCount[] {
  return findings.map((finding) => {
    const positives = outputs.filter((o) => o.c.findings.has(finding)).length
    return {
      finding,
      positives,
      negatives: outputs.length - positives,
      boxes: outputs.reduce((n, o) => n + (o.c.boxes.get(finding)?.length ?? 0), 0),
    }
  })
}

function exampleCandidates(report: EvaluationReport, outputs: CaseOutput[]): ExampleCandidate[] {
  return outputs.flatMap((o) =>
    [...o.maps.entries()].map(([finding, map]) => {
      const boxes = o.c.boxes.get(finding) ?? []
      const iou = scoreArm({ map, threshold: report.tuned_thresholds?.[finding] }, boxes.map(toGrid)).lens.maskIou
      return { image: o.c.image, finding, iou, source: o.c.path, map, mapWidth: EVAL_GRID, mapHeight: EVAL_GRID, boxes }
    }),
  )
}

export interface ReportContext {
  /** the folders and CSVs evaluated, in words */
  dataSource?: string
  /** ISO date; now when absent */
  generatedAt?: string
}

/**
 * A self-contained HTML report (inline SVG and PNG, no scripts) a review committee can read: who made
 * it when from what, every figure with its interval and the sample-size rule, plots with axes and
 * legends, examples at both ends of the IoU range, the checks of the explanation method.
 */
export async function htmlReport(
  report: EvaluationReport,
  outputs: CaseOutput[],
  manifest: ModelManifest,
  context: ReportContext = {},
): Promise<string> {
  const findings = manifest.findings
  const counts = countsOf(outputs, findings)
  const macro = macroAurocBootstrap(
    outputs.map((o) => ({ patient: o.c.patient, labels: findings.map((f) => (o.c.findings.has(f) ? 1 : 0)), scores: o.probabilities })),
    findings.length,
    { resamples: report.bootstrap?.resamples, seed: report.bootstrap?.seed },
  )
  const rocs = findings.map((f, c) => {
    const labels = outputs.map((o) => (o.c.findings.has(f) ? 1 : 0))
    if (!labels.some(Boolean) || labels.every(Boolean)) return ''
    const row = report.classification[f] as ClassificationRow
    return rocSvg(
      rocCurve(
        outputs.map((o) => o.probabilities[c]),
        labels,
      ),
      `${f}: AUROC ${fmt(row.auroc)} (95% CI ${row.auroc_ci ? `${fmt(row.auroc_ci[0])}–${fmt(row.auroc_ci[1])}` : '–'}), ${row.n_pos} positives`,
    )
  })
  const extra: Array<[string, string]> = [
    ['Execution provider', report.provider],
    ['Mask threshold', report.threshold],
    ['Localization protocol (headline)', report.protocol === 'chestxray8' ? '--protocol chestxray8 (the paper’s)' : '--protocol cxrlens'],
    ...(report.bootstrap
      ? [
          ['Intervals', `patient bootstrap, ${report.bootstrap.resamples} resamples, seed ${report.bootstrap.seed}; DeLong for AUROC`] as [
            string,
            string,
          ],
        ]
      : []),
    ['Out-of-distribution check', oodLine(report.ood)],
    ['Run time', `${report.seconds.toFixed(1)} s`],
  ]
  const meta: ReportMeta = {
    title: `CXR Lens evaluation report: ${manifest.id} ${manifest.version}`,
    generatedAt: context.generatedAt ?? new Date().toISOString(),
    dataSource: context.dataSource ?? 'labelled image folder',
    appVersion: APP_VERSION,
    model: report.model,
    databaseSchema: null,
    intendedUse: manifest.modelCard.intendedUse,
    method: report.method,
    cases: report.images,
    extra,
  }
  const localization =
    report.protocol === 'chestxray8'
      ? `<h3>ChestX-ray8 protocol (--protocol chestxray8), the paper's row beside it</h3>${paperLocalizationTable(report)}<h3>CXR Lens masks</h3>${lensLocalizationTable(report)}`
      : `${lensLocalizationTable(report)}<h3>ChestX-ray8 protocol (as --protocol chestxray8 scores it), the paper's row beside it</h3>${paperLocalizationTable(report)}`
  const body = `${sampleSizeWarning(report.images, counts)}
<p>${esc(methodSummary(report.method))}</p>
${flagsBox(report)}
${countsTable(counts)}
<h2>Classification</h2><p>Macro AUROC ${fmt(report.classification.macro_auroc)} (patient-bootstrap 95% CI ${macro.ci95 ? `${fmt(macro.ci95[0])}–${fmt(macro.ci95[1])}` : '–'}) over ${report.images} cases.</p>
${classificationTable(report, findings, macro.ci95)}
<h2>ROC curves</h2>${rocs.join('')}
${comparePredictionsTable(report)}
<h2>Localization against radiologist boxes</h2>${localization}
${faithfulnessTable(report)}
${sanityTable(report)}
${await examplesSection(pickExamples(exampleCandidates(report, outputs), findings, 8), report.method)}`
  return reportDocument(meta, body, `.paper,.prior{display:block;font-size:11px}.paper{color:#6a1b9a}.prior{color:#777}${SECTION_STYLE}`)
}

/** The report's out-of-distribution line: how many images were flagged, and that none was left out. */
export function oodLine(ood: EvaluationReport['ood']): string {
  if (!ood) return 'Out-of-distribution check: not run.'
  if (ood.flagged === null) return `Out-of-distribution check: none (${ood.unavailable}); no image excluded.`
  return `Out-of-distribution check (${ood.method}, threshold ${ood.threshold.toFixed(2)}): ${ood.flagged} of ${ood.images} images flagged (${(100 * ood.rate).toFixed(1)}%); flagged images are kept in every figure, none excluded.`
}
