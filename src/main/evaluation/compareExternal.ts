/**
 * Another model's predictions beside this one's on the images both have: per finding, both AUROCs,
 * DeLong's paired test and a patient-bootstrap interval of the difference (model minus file).
 */
import { aurocBootstrap, comparePairedAuroc, type ScoredCase } from './classificationStats'
import type { CaseOutput } from './evaluate'
import type { ExternalPredictions } from './externalPredictions'
import type { ExternalComparison } from './reportTypes'

export function compareExternal(
  external: ExternalPredictions,
  outputs: CaseOutput[],
  findings: string[],
  options: { resamples: number; seed: number },
): ExternalComparison {
  const matched = outputs.filter((o) => external.byImage.has(o.c.image))
  const classification: ExternalComparison['classification'] = {}
  const model: number[] = []
  const theirs: number[] = []
  for (const finding of findings.filter((f) => external.findings.includes(f))) {
    const c = findings.indexOf(finding)
    const cases: ScoredCase[] = matched.map((o) => ({
      patient: o.c.patient,
      label: o.c.findings.has(finding) ? 1 : 0,
      scores: [o.probabilities[c], external.byImage.get(o.c.image)!.get(finding)!],
    }))
    const paired = comparePairedAuroc(cases, options)
    const externalCi =
      paired.auroc_b === null
        ? null
        : aurocBootstrap(
            cases.map((x) => ({ ...x, scores: [x.scores[1]] })),
            options,
          ).ci95
    classification[finding] = { ...paired, auroc_ci_bootstrap_external: externalCi }
    if (paired.auroc_a !== null && paired.auroc_b !== null) {
      model.push(paired.auroc_a)
      theirs.push(paired.auroc_b)
    }
  }
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null)
  return {
    file: external.file,
    images_matched: matched.length,
    images_missing: outputs.length - matched.length,
    macro_auroc_model: mean(model),
    macro_auroc_external: mean(theirs),
    classification,
  }
}
