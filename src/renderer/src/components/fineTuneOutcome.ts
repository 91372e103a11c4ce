/**
 * What a finished fine-tuning run tells the advisor, in words: the new version and its validation
 * macro AUROC beside the parent's on the same cases, its localization on validation boxes when boxes
 * supervised it, and — plainly — when it scored below its parent: then it is not registered until the
 * advisor decides ('ask'), or, registered anyway, the message says so ('below').
 */
import type { BoxLocalizationMeans, TrainResult } from '../../../shared/jobs'

/** The fields of the training job's result (src/shared/jobs.ts) this message reads. */
export interface TrainOutcomeInput {
  child: Pick<NonNullable<TrainResult['child']>, 'id' | 'version'> | null
  parent: TrainResult['parent']
  valMacroAuroc: TrainResult['valMacroAuroc']
  split: Pick<TrainResult['split'], 'val'>
  resumedFrom: Pick<NonNullable<TrainResult['resumedFrom']>, 'epoch'> | null
  /** absent in results from before the decision step: registered */
  registered?: boolean
  version?: string
  belowParent?: TrainResult['belowParent']
  localization?: Pick<NonNullable<TrainResult['localization']>, 'weight' | 'boxedCases' | 'mean'> | null
}

/** 'below': registered though under its parent; 'ask': under its parent and waiting for Register / Discard; 'discarded': the advisor said no. */
export interface FineTuneOutcome {
  kind: 'ok' | 'below' | 'ask' | 'discarded' | 'error'
  text: string
  /** with boxes: validation localization, new version beside the parent and the prior box */
  localization?: string
}

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v.toFixed(3))

function localizationText(loc: NonNullable<TrainOutcomeInput['localization']>): string {
  const { child, parent, prior } = loc.mean
  const one = (name: string, key: keyof BoxLocalizationMeans) =>
    `${name} ${fmt(child[key])} vs ${fmt(parent[key])}${prior ? ` (prior box ${fmt(prior[key])})` : ''}`
  return `Grad-CAM on ${loc.boxedCases.val} validation cases with boxes (box weight ${loc.weight}): ${one('mean IoU', 'iouMean')}, ${one('T(IoBB ≥ 0.25)', 'iobb25')}, ${one('hit rate', 'hitRate')}`
}

export function fineTuneOutcome(r: TrainOutcomeInput): FineTuneOutcome {
  const { child, parent } = r.valMacroAuroc
  const localization = r.localization ? { localization: localizationText(r.localization) } : {}
  if (r.registered === false || !r.child) {
    const loc = r.localization?.mean
    const iouBelow = loc && loc.child.iouMean !== null && loc.parent.iouMean !== null && loc.child.iouMean < loc.parent.iouMean
    const aurocBelow = child !== null && parent !== null && child < parent
    const parts = [
      ...(aurocBelow || !iouBelow ? [`${fmt(child)} vs ${fmt(parent)} validation AUROC`] : []),
      ...(iouBelow ? [`${fmt(loc.child.iouMean)} vs ${fmt(loc.parent.iouMean)} validation mean IoU`] : []),
    ]
    const why = parts.join('; ')
    return { kind: 'ask', text: `This version scores below its parent (${why}). Register anyway?`, ...localization }
  }
  const text = `New version ${r.child.version}${r.resumedFrom ? ` (resumed after epoch ${r.resumedFrom.epoch})` : ''}: validation macro AUROC ${fmt(child)} vs ${fmt(parent)} (parent ${r.parent.version}) on the same ${r.split.val} cases`
  const below = r.belowParent ? true : child !== null && parent !== null && child < parent
  return below
    ? { kind: 'below', text: `${text} — below its parent: keep ${r.parent.version} as the model you read with`, ...localization }
    : { kind: 'ok', text, ...localization }
}
