/**
 * The localization terms the Fine-tune panel offers when the cases' boxes supervise a run, each with
 * the box weights λ it tries (the trainer keeps one, chosen on validation boxes). Fill + mass comes
 * first and is the panel's default: every reference model since 3.2.0 was trained with it, at λ = 30
 * (training/README.md). The softmax mass alone is what 3.0.0 and 3.1.0 used and what `cxr-lens train
 * --boxes` still does without `--box-loss`, at the trainer's own λ candidates (0.3, 1, 3).
 */
import type { BoxLoss, TrainingRequest } from '../../../shared/jobs'

export const BOX_SUPERVISION: Record<BoxLoss, { label: string; title: string; boxWeights?: number[] }> = {
  'fill+mass': {
    label: 'Fill + mass (as the reference model)',
    title: 'Every cell of the map supervised (inside the box high, outside low) plus the softmax mass inside the box; λ 10 or 30',
    boxWeights: [10, 30],
  },
  fill: {
    label: 'Fill the box',
    title: 'Every cell of the map supervised: inside the box high, outside low; λ 10 or 30',
    boxWeights: [10, 30],
  },
  mass: {
    label: 'Mass inside the box',
    title: "The map's softmax mass inside the box (a blob anywhere in it satisfies it); λ 0.3, 1 or 3",
  },
}

export const DEFAULT_BOX_SUPERVISION: BoxLoss = 'fill+mass'

/** The part of the training request that box supervision with `loss` adds. */
export function boxSupervisionRequest(loss: BoxLoss): Pick<TrainingRequest, 'boxes' | 'boxLoss' | 'boxWeights'> {
  const { boxWeights } = BOX_SUPERVISION[loss]
  return { boxes: true, boxLoss: loss, ...(boxWeights ? { boxWeights } : {}) }
}
