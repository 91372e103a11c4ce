import { parseArgs } from 'node:util'
import { TRAIN_LAYERS, type TrainLayers } from '../../shared/domain'
import type { TrainingRequest } from '../../shared/jobs'
import { fineTune } from '../training/fineTune'
import { fineTuneRequestOf } from '../training/trainingRequest'
import { UsageError, type CliContext } from './cliContext'

export const TRAIN_USAGE = `cxr-lens train --model ID [--version V] [--layers head|head+last-block] [--folds 5] [--epochs N] [--patience N]
      [--loss bce|focal] [--balance weights|smote|none] [--lr X] [--seed N] [--fresh] [--json]
      (every epoch leaves a checkpoint in the data folder; the same command run again after a crash or a
      cancel resumes from it and ends with the same weights; --fresh discards it and starts over)`

const fmt = (v: number | null) => (v === null ? '–' : v.toFixed(3))

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, not "${value}"`)
  return n
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined
  if (!allowed.includes(value as T)) throw new UsageError(`--${name} is ${allowed.join(' or ')}, not "${value}"`)
  return value as T
}

export async function runTrain(ctx: CliContext, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      version: { type: 'string' },
      layers: { type: 'string' },
      folds: { type: 'string' },
      epochs: { type: 'string' },
      patience: { type: 'string' },
      loss: { type: 'string' },
      balance: { type: 'string' },
      lr: { type: 'string' },
      seed: { type: 'string' },
      fresh: { type: 'boolean' },
      json: { type: 'boolean' },
      'data-dir': { type: 'string' },
    },
  })
  const layers = oneOf<TrainLayers>('layers', values.layers, TRAIN_LAYERS) ?? 'head'
  const lr = values.lr === undefined ? undefined : Number(values.lr)
  if (lr !== undefined && !(lr > 0)) throw new UsageError(`--lr must be a positive number, not "${values.lr}"`)
  const seed = values.seed === undefined ? undefined : Number(values.seed)
  if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, not "${values.seed}"`)
  // The same request the Fine-tune panel sends (the job map's TrainingRequest), mapped the same way.
  const request: TrainingRequest = {
    model: values.model,
    version: values.version,
    layers,
    folds: positiveInt('folds', values.folds),
    epochs: positiveInt('epochs', values.epochs),
    patience: positiveInt('patience', values.patience),
    loss: oneOf('loss', values.loss, ['bce', 'focal']),
    balance: oneOf('balance', values.balance, ['weights', 'smote', 'none']),
    learningRate: lr,
    seed,
    fresh: values.fresh,
  }
  const result = await fineTune(
    { store: ctx.store, registry: ctx.registry, engine: ctx.engine(), dataDir: ctx.dataDir },
    fineTuneRequestOf(request),
    values.json
      ? {}
      : {
          onProgress: (m) => process.stderr.write(`${m}\n`),
          onEpoch: (r) =>
            console.log(
              `${r.fold ? `fold ${r.fold} ` : ''}epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, val macro AUROC ${fmt(r.valMacroAuroc)}, lr ${r.learningRate.toExponential(1)} (${r.seconds.toFixed(2)} s)`,
            ),
        },
  )
  if (values.json) {
    console.log(JSON.stringify(result))
    return 0
  }
  for (const f of result.folds) console.log(`fold ${f.fold}: macro AUROC ${fmt(f.childMacroAuroc)} (parent ${fmt(f.parentMacroAuroc)})`)
  if (result.tTest)
    console.log(
      `paired t-test across folds: mean difference ${result.tTest.meanDifference.toFixed(4)}, t = ${result.tTest.t.toFixed(2)}, p = ${result.tTest.p.toFixed(4)}`,
    )
  console.log(
    `new version ${result.child.id} ${result.child.version} (${result.layers}${result.resumedFrom ? `, resumed after epoch ${result.resumedFrom.epoch}` : ''})`,
  )
  console.log(`matrix products ran on ${result.provider}`)
  console.log(
    `validation macro AUROC ${fmt(result.valMacroAuroc.child)} vs parent ${result.parent.version} ${fmt(result.valMacroAuroc.parent)} on the same ${result.split.val} cases`,
  )
  console.log(
    `test macro AUROC ${fmt(result.testMacroAuroc.child)} vs parent ${fmt(result.testMacroAuroc.parent)} (${result.split.test} cases)`,
  )
  return 0
}
