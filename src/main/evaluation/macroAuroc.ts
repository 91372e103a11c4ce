/**
 * The macro AUROC with a patient-bootstrap interval, so the headline figure of a report carries its
 * uncertainty as the per-finding ones do (11 cases gave a "macro AUROC 0.831" with nothing beside it).
 */
import { bootstrap, groupBy, type BootstrapInterval, type BootstrapOptions } from './bootstrap'
import { aurocOf } from './classificationStats'

export interface MultiLabelCase {
  patient: string
  /** one 0/1 label and one score per finding, in the same order */
  labels: ArrayLike<number>
  scores: ArrayLike<number>
}

/** Mean over the findings that have both classes in the (re)sample; null when none has. */
export function macroAurocOf(cases: MultiLabelCase[], findings: number): number | null {
  const aurocs: number[] = []
  for (let f = 0; f < findings; f++) {
    const a = aurocOf(
      cases.map((c) => c.scores[f]),
      cases.map((c) => c.labels[f]),
    )
    if (a !== null) aurocs.push(a)
  }
  return aurocs.length ? aurocs.reduce((s, v) => s + v, 0) / aurocs.length : null
}

export function macroAurocBootstrap(cases: MultiLabelCase[], findings: number, options: BootstrapOptions = {}): BootstrapInterval {
  return bootstrap(
    groupBy(cases, (c) => c.patient),
    (sample) => ({ macro: macroAurocOf(sample, findings) }),
    options,
  ).macro
}
