import type { BoxLocalizationFigures, BoxLocalizationMeans, TrainLocalization } from '../../shared/jobs'

/**
 * Choosing the CAM-loss weight λ on validation boxes, by a rule fixed before any run: among the λ
 * tried (0 is the same training from labels alone), keep the one with the highest validation Grad-CAM
 * mean IoU (averaged over the findings with validation boxes) whose validation macro AUROC is at most
 * AUROC_SLACK below the λ = 0 run's; ties go to the smaller λ. Box supervision is kept only when it
 * localizes better without costing classification.
 */
export const DEFAULT_BOX_WEIGHTS = [0.3, 1, 3]
export const AUROC_SLACK = 0.005
export const BOX_RULE = `highest validation mean IoU among the box weights whose validation macro AUROC is at least the labels-only (λ = 0) run's minus ${AUROC_SLACK}; ties to the smaller weight`
/** The rule when the labels-only run is skipped (`--skip-labels-only`): the parent's validation AUROC is the base. */
export const BOX_RULE_PARENT_BASE = `highest validation mean IoU among the box weights whose validation macro AUROC is at least the parent's minus ${AUROC_SLACK}; ties to the smaller weight (no labels-only run)`

export interface BoxCandidate {
  weight: number
  valMacroAuroc: number | null
  valIouMean: number | null
  valIobb25: number | null
}

const mean = (xs: Array<number | null>) => {
  const d = xs.filter((x): x is number => x !== null)
  return d.length ? d.reduce((a, b) => a + b, 0) / d.length : null
}

export function meanOverFindings(figures: Map<number, BoxLocalizationFigures>): { valIouMean: number | null; valIobb25: number | null } {
  const rows = [...figures.values()]
  return { valIouMean: mean(rows.map((r) => r.iouMean)), valIobb25: mean(rows.map((r) => r.iobb25)) }
}

function means(rows: BoxLocalizationFigures[]): BoxLocalizationMeans {
  return { iouMean: mean(rows.map((r) => r.iouMean)), iobb25: mean(rows.map((r) => r.iobb25)), hitRate: mean(rows.map((r) => r.hitRate)) }
}

/**
 * The rule above over candidates sorted by λ, the first being λ = 0. Without a λ = 0 candidate (the
 * labels-only run skipped) the base is `parentAuroc`, the parent's validation macro AUROC; when no
 * weight is eligible then, the smallest is kept (and the run reports itself below its parent).
 */
export function boxSelection(candidates: BoxCandidate[], parentAuroc: number | null = null): { index: number; weight: number; eligible: boolean[] } {
  const base = candidates.find((c) => c.weight === 0)?.valMacroAuroc ?? parentAuroc
  const eligible = candidates.map((c) => c.weight === 0 || base === null || (c.valMacroAuroc !== null && c.valMacroAuroc >= base - AUROC_SLACK))
  let index = candidates.findIndex((c) => c.weight === 0)
  if (index < 0) index = Math.max(0, eligible.indexOf(true))
  candidates.forEach((c, i) => {
    if (!eligible[i]) return
    const best = candidates[index].valIouMean ?? -Infinity
    if ((c.valIouMean ?? -Infinity) > best) index = i
  })
  return { index, weight: candidates[index].weight, eligible }
}

export function localizationReport(input: {
  findings: string[]
  selection: ReturnType<typeof boxSelection>
  candidates: BoxCandidate[]
  child: Map<number, BoxLocalizationFigures>
  parent: Map<number, BoxLocalizationFigures>
  prior: Map<number, BoxLocalizationFigures>
  boxedCases: TrainLocalization['boxedCases']
  /** the rule's wording (default: against the labels-only run) */
  rule?: string
}): TrainLocalization {
  const columns = [...input.child.keys()]
  const priors = columns.flatMap((c) => (input.prior.has(c) ? [input.prior.get(c)!] : []))
  return {
    weight: input.selection.weight,
    rule: input.rule ?? BOX_RULE,
    candidates: input.candidates.map((c, i) => ({ ...c, eligible: input.selection.eligible[i] })),
    boxedCases: input.boxedCases,
    perFinding: columns.map((c) => ({ finding: input.findings[c], child: input.child.get(c)!, parent: input.parent.get(c)!, prior: input.prior.get(c) ?? null })),
    mean: { child: means(columns.map((c) => input.child.get(c)!)), parent: means(columns.map((c) => input.parent.get(c)!)), prior: priors.length ? means(priors) : null },
  }
}
