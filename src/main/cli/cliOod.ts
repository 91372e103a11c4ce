import type { OodMark } from '../../shared/domain'

/**
 * The CLI's out-of-distribution fields, the same for `infer` and `explain`: `{score, threshold,
 * flagged}` (plus the score's method and the header's reason), or null when the model has no check
 * and the header raised none (the output's `ood_unavailable` then says why).
 */
export function oodJson(
  ood: OodMark | null,
): { score: number | null; threshold: number | null; flagged: boolean; method: string | null; acquisition: string | null } | null {
  if (!ood) return null
  return { score: ood.score, threshold: ood.threshold, flagged: ood.flagged, method: ood.method, acquisition: ood.acquisition }
}

/** A flagged case's note on its text line (empty when it passed). */
export function oodText(ood: OodMark | null): string {
  if (!ood?.flagged) return ''
  const score = ood.score !== null && ood.threshold !== null ? ` (${ood.method} ${ood.score.toFixed(2)} > ${ood.threshold.toFixed(2)})` : ''
  return `\tOUT OF DISTRIBUTION${score}${ood.acquisition ? `: ${ood.acquisition}` : ''}: the model was not made for this image`
}
