import type { TrainingRequest } from '../../shared/jobs'
import type { FineTuneRequest } from './fineTune'
import type { TrainOptions } from './trainLoop'
import { FILL_TEMPERATURE } from './fillLoss'

/**
 * The one mapping from the job map's TrainingRequest (the Fine-tune panel, `cxr-lens train`) to
 * what fineTune takes. Options left out stay out: the checkpoint's configuration hash covers the
 * options object, so `{}` and `{ maxEpochs: undefined }` must not differ.
 */
export function fineTuneRequestOf(request: TrainingRequest): FineTuneRequest {
  const chosen: Partial<TrainOptions> = {
    maxEpochs: request.epochs, patience: request.patience, loss: request.loss, balance: request.balance, learningRate: request.learningRate, seed: request.seed,
    labelSmoothing: request.labelSmoothing || undefined,
    mixup: request.mixup || undefined,
    // `mass` is the default: left out, so a run without --box-loss keeps its configuration hash
    boxLoss: request.boxLoss && request.boxLoss !== 'mass' ? request.boxLoss : undefined,
    // τ = 2 is fillLoss.ts's default: left out, so a run that names it keeps the default's configuration hash
    fillTemperature: request.fillTemperature !== FILL_TEMPERATURE ? request.fillTemperature : undefined,
    blockLrScale: request.blockLrScale,
    levelWeight: request.levelWeight || undefined,
    // best-auroc is the default: left out, so the hash stays
    keepEpoch: request.keepEpoch === 'last' ? 'last' : undefined,
  }
  const options = Object.fromEntries(Object.entries(chosen).filter(([, v]) => v !== undefined)) as Partial<TrainOptions>
  return { model: request.model, version: request.version, layers: request.layers ?? 'head', folds: request.folds, options, fresh: request.fresh,
    ...(request.boxes
      ? { boxes: true, ...(request.boxWeights ? { boxWeights: request.boxWeights } : {}), ...(request.skipLabelsOnly ? { skipLabelsOnly: true } : {}),
          ...(request.levelFindings && request.levelWeight ? { levelFindings: request.levelFindings } : {}),
          ...(request.boxFindingWeights ? { boxFindingWeights: Object.fromEntries(request.boxFindingWeights.map((w) => [w.finding, w.weight])) } : {}) }
      : {}),
    ...(request.splitFile ? { splitFile: request.splitFile } : {}),
    ...(request.registerIfWorse ? { registerIfWorse: true } : {}),
    ...(request.distill ? { distill: { file: request.distill, weight: request.distillWeight ?? 1 } } : {}),
  }
}
