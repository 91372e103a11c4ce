/**
 * Which finding's map a case opens on, and why — said on screen next to the map. The reader's own
 * choice on this case wins; then the worklist's finding filter (the reader is going through
 * Cardiomegaly cases: show Cardiomegaly); then the finding of the case's boxes (the map is there to
 * be compared with a radiologist's box); then the model's most probable finding. A candidate the
 * model did not score is skipped.
 */
export type MapReason = 'reader' | 'filter' | 'boxes' | 'top'

export const MAP_REASON_TEXT: Record<MapReason, string> = {
  reader: 'chosen by you',
  filter: 'from the worklist filter',
  boxes: "from the case's boxes",
  top: 'highest probability',
}

export interface MapChoice {
  finding: string
  reason: MapReason
}

export interface MapChoiceInputs {
  /** The reader picked this finding on this case. */
  chosen?: string | null
  filter?: string | null
  /** Findings of the case's boxes, one entry per box. */
  boxFindings?: readonly string[] | null
}

/** The most frequent scored box finding (ties: the first box's), or null. */
function boxFinding(boxFindings: readonly string[], scored: (f: string) => boolean): string | null {
  const counts = new Map<string, number>()
  for (const f of boxFindings) if (scored(f)) counts.set(f, (counts.get(f) ?? 0) + 1)
  let best: string | null = null
  for (const [f, n] of counts) if (best === null || n > counts.get(best)!) best = f
  return best
}

/** `predictions` highest first; null when there are none. */
export function chooseMapFinding(predictions: readonly { finding: string }[], inputs: MapChoiceInputs): MapChoice | null {
  if (predictions.length === 0) return null
  const scored = (f: string | null | undefined): f is string => !!f && predictions.some((p) => p.finding === f)
  if (scored(inputs.chosen)) return { finding: inputs.chosen, reason: 'reader' }
  if (scored(inputs.filter)) return { finding: inputs.filter, reason: 'filter' }
  const fromBoxes = inputs.boxFindings ? boxFinding(inputs.boxFindings, scored) : null
  if (fromBoxes) return { finding: fromBoxes, reason: 'boxes' }
  return { finding: predictions[0]!.finding, reason: 'top' }
}

/** "Cardiomegaly — from the worklist filter". */
export function mapChoiceText(choice: MapChoice): string {
  return `${choice.finding} — ${MAP_REASON_TEXT[choice.reason]}`
}
