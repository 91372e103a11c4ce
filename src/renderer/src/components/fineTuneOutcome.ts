/**
 * What a finished fine-tuning run tells the advisor, in words: the new version and its validation
 * macro AUROC beside the parent's on the same cases, and — plainly — when it scored below its parent.
 */
import type { TrainResult } from '../../../shared/jobs'

/** The fields of the training job's result (src/shared/jobs.ts) this message reads. */
export interface TrainOutcomeInput {
  child: Pick<TrainResult['child'], 'id' | 'version'>
  parent: TrainResult['parent']
  valMacroAuroc: TrainResult['valMacroAuroc']
  split: Pick<TrainResult['split'], 'val'>
  resumedFrom: Pick<NonNullable<TrainResult['resumedFrom']>, 'epoch'> | null
}

/** 'below': the new version scored under its parent on the same validation cases. */
export interface FineTuneOutcome {
  kind: 'ok' | 'below' | 'error'
  text: string
}

const fmt = (v: number | null) => (v === null ? '–' : v.toFixed(3))

export function fineTuneOutcome(r: TrainOutcomeInput): FineTuneOutcome {
  const { child, parent } = r.valMacroAuroc
  const text = `New version ${r.child.version}${r.resumedFrom ? ` (resumed after epoch ${r.resumedFrom.epoch})` : ''}: validation macro AUROC ${fmt(child)} vs ${fmt(parent)} (parent ${r.parent.version}) on the same ${r.split.val} cases`
  const below = child !== null && parent !== null && child < parent
  return below
    ? { kind: 'below', text: `${text} — below its parent: keep ${r.parent.version} as the model you read with` }
    : { kind: 'ok', text }
}
