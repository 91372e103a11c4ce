import { resolve } from 'node:path'
import { createInterface } from 'node:readline/promises'
import { parseArgs } from 'node:util'
import { TRAIN_LAYERS, type TrainLayers } from '../../shared/domain'
import { BOX_LOSSES, KEEP_EPOCHS, type BoxLocalizationFigures, type TrainingRequest, type TrainResult } from '../../shared/jobs'
import { fineTune } from '../training/fineTune'
import { fineTuneRequestOf } from '../training/trainingRequest'
import { UsageError, type CliContext } from './cliContext'

export const TRAIN_USAGE = `cxr-lens train --model ID [--version V] [--layers head|head+last-block] [--folds 5] [--epochs N] [--patience N]
      [--loss bce|focal] [--balance weights|smote|none] [--lr X] [--seed N] [--fresh] [--json]
      [--boxes [--box-weights 0.3,1,3] [--box-loss mass|fill|fill+mass [--fill-temperature T] [--level-weight W [--level-findings F,…]]] [--skip-labels-only]
       [--box-finding-weights Cardiomegaly=3,…]] [--block-lr-scale S] [--keep-epoch best-auroc|last]
      [--split-file CSV] [--register-if-worse]
      [--label-smoothing E] [--distill CSV [--distill-weight W]] [--mixup ALPHA]
      (every epoch leaves a checkpoint in the data folder; the same command run again after a crash or a
      cancel resumes from it and ends with the same weights; --fresh discards it and starts over.
      --boxes: the cases' boxes supervise the class activation maps (needs --layers head+last-block), the
      box weight chosen on validation boxes; --box-loss picks the localization term (mass: the softmax mass
      inside the box, the default; fill: every cell, inside the box high, outside low; fill+mass: both);
      --skip-labels-only does not train the λ = 0 run beside them (the parent's validation AUROC is the
      rule's base then); --fill-temperature is the fill term's τ (default 2); --level-weight adds, at W × λ,
      a term asking the map to be level inside the box (its variance there), for the --level-findings
      named (default: all); --box-finding-weights multiplies
      λ for the findings named; --block-lr-scale is the last block's learning rate as a fraction of the
      head's (default 0.1); --keep-epoch last keeps the last of --epochs epochs instead of the best
      validation AUROC's (no early stopping). A version scoring below its parent on validation is not
      registered (exit 4) unless --register-if-worse, or you answer yes on a terminal)`

/** Exit code of a run that finished below its parent and was not registered. */
export const EXIT_BELOW_PARENT = 4

const fmt = (v: number | null) => (v === null ? '–' : v.toFixed(3))

const pct = (v: number | null) => (v === null ? '–' : v.toFixed(3))
const figureLine = (f: Pick<BoxLocalizationFigures, 'iouMean' | 'iobb25' | 'hitRate'>) =>
  `IoU ${pct(f.iouMean)}, T(IoBB≥0.25) ${pct(f.iobb25)}, hit ${pct(f.hitRate)}`

function printLocalization(result: TrainResult): void {
  const loc = result.localization
  if (!loc) return
  for (const c of loc.candidates)
    console.log(
      `box weight ${c.weight}: val macro AUROC ${fmt(c.valMacroAuroc)}, val mean IoU ${fmt(c.valIouMean)}${c.eligible ? '' : ' (AUROC too low)'}`,
    )
  console.log(`chosen box weight ${loc.weight} (${loc.rule})`)
  console.log(`localization on ${loc.boxedCases.val} validation cases with boxes (Grad-CAM; new | parent | prior box):`)
  for (const r of loc.perFinding)
    console.log(
      `  ${r.finding} (${r.child.boxes} boxes): ${figureLine(r.child)} | ${figureLine(r.parent)} | ${r.prior ? figureLine(r.prior) : '–'}`,
    )
  console.log(
    `  mean: ${figureLine(loc.mean.child)} | ${figureLine(loc.mean.parent)} | ${loc.mean.prior ? figureLine(loc.mean.prior) : '–'}`,
  )
}

function boxWeightList(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined
  const list = value.split(',').map((v) => Number(v.trim()))
  if (list.length === 0 || list.length > 8 || list.some((v) => !Number.isFinite(v) || v < 0 || v > 100))
    throw new UsageError(`--box-weights is a comma-separated list of up to 8 numbers in 0…100, not "${value}"`)
  return list
}

/** A finding's name as the training options take it (checked against the model in fineTune). */
const FINDING_NAME = '[A-Za-z_][A-Za-z0-9_ -]{0,63}'

/** `Cardiomegaly=3,Nodule=2` → [{ finding: 'Cardiomegaly', weight: 3 }, …]. */
function findingWeightList(value: string | undefined): TrainingRequest['boxFindingWeights'] {
  if (value === undefined) return undefined
  // a Map, not an object: a finding called "constructor" is not already "in" it
  const out = new Map<string, number>()
  const parts = value.split(',').map((p) => p.trim())
  for (const part of parts) {
    const m = new RegExp(`^(${FINDING_NAME})=([0-9]*\\.?[0-9]+)$`).exec(part)
    const w = m ? Number(m[2]) : NaN
    if (!m || !(w >= 0 && w <= 100) || out.has(m[1]))
      throw new UsageError(
        `--box-finding-weights is a comma-separated list of FINDING=WEIGHT (weight 0…100, each finding once), not "${value}"`,
      )
    out.set(m[1], w)
  }
  if (parts.length > 64) throw new UsageError('--box-finding-weights names at most 64 findings')
  return [...out].map(([finding, weight]) => ({ finding, weight }))
}

/** `Cardiomegaly,Effusion` → ['Cardiomegaly', 'Effusion']. */
function findingList(flag: string, value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined
  const names = value.split(',').map((p) => p.trim())
  const name = new RegExp(`^${FINDING_NAME}$`)
  if (names.length > 64 || names.some((n) => !name.test(n)) || new Set(names).size !== names.length)
    throw new UsageError(`--${flag} is a comma-separated list of up to 64 finding names, each once, not "${value}"`)
  return names
}

async function askToRegister(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim())
  } finally {
    rl.close()
  }
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, not "${value}"`)
  return n
}

function numberIn(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  const n = value.trim() === '' ? NaN : Number(value)
  if (!(n >= min && n <= max))
    throw new UsageError(`--${name} must be a number in ${min === Number.MIN_VALUE ? '(0' : `[${min}`}, ${max}], not "${value}"`)
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
      boxes: { type: 'boolean' },
      'box-weights': { type: 'string' },
      'box-loss': { type: 'string' },
      'skip-labels-only': { type: 'boolean' },
      'split-file': { type: 'string' },
      'register-if-worse': { type: 'boolean' },
      'label-smoothing': { type: 'string' },
      distill: { type: 'string' },
      'distill-weight': { type: 'string' },
      mixup: { type: 'string' },
      'fill-temperature': { type: 'string' },
      'level-weight': { type: 'string' },
      'level-findings': { type: 'string' },
      'block-lr-scale': { type: 'string' },
      'box-finding-weights': { type: 'string' },
      'keep-epoch': { type: 'string' },
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
    boxes: values.boxes,
    boxWeights: boxWeightList(values['box-weights']),
    splitFile: values['split-file'] === undefined ? undefined : resolve(values['split-file']),
    registerIfWorse: values['register-if-worse'],
    labelSmoothing: numberIn('label-smoothing', values['label-smoothing'], 0, 0.5),
    distill: values.distill === undefined ? undefined : resolve(values.distill),
    distillWeight: numberIn('distill-weight', values['distill-weight'], Number.MIN_VALUE, 100),
    mixup: numberIn('mixup', values.mixup, 0, 4),
    boxLoss: oneOf('box-loss', values['box-loss'], BOX_LOSSES),
    skipLabelsOnly: values['skip-labels-only'],
    fillTemperature: numberIn('fill-temperature', values['fill-temperature'], Number.MIN_VALUE, 20),
    levelWeight: numberIn('level-weight', values['level-weight'], 0, 100),
    levelFindings: findingList('level-findings', values['level-findings']),
    blockLrScale: numberIn('block-lr-scale', values['block-lr-scale'], Number.MIN_VALUE, 10),
    boxFindingWeights: findingWeightList(values['box-finding-weights']),
    keepEpoch: oneOf('keep-epoch', values['keep-epoch'], KEEP_EPOCHS),
  }
  if (request.distillWeight !== undefined && !request.distill) throw new UsageError('--distill-weight goes with --distill')
  if (request.labelSmoothing && request.loss === 'focal') throw new UsageError('--label-smoothing goes with the BCE loss, not --loss focal')
  if (request.mixup && request.loss === 'focal') throw new UsageError('--mixup goes with the BCE loss, not --loss focal')
  if (request.mixup && request.distill) throw new UsageError('--mixup and --distill together are not supported')
  if (request.boxWeights && !request.boxes) throw new UsageError('--box-weights goes with --boxes')
  if (request.boxLoss && !request.boxes) throw new UsageError('--box-loss goes with --boxes')
  if (request.skipLabelsOnly && !request.boxes) throw new UsageError('--skip-labels-only goes with --boxes')
  if (request.fillTemperature !== undefined && request.boxLoss !== 'fill' && request.boxLoss !== 'fill+mass')
    throw new UsageError('--fill-temperature goes with --box-loss fill or fill+mass')
  if (request.levelWeight !== undefined && request.boxLoss !== 'fill' && request.boxLoss !== 'fill+mass')
    throw new UsageError('--level-weight goes with --box-loss fill or fill+mass')
  if (request.levelFindings && !request.levelWeight) throw new UsageError('--level-findings goes with --level-weight')
  if (request.boxFindingWeights && !request.boxes) throw new UsageError('--box-finding-weights goes with --boxes')
  if (request.blockLrScale !== undefined && layers !== 'head+last-block')
    throw new UsageError('--block-lr-scale goes with --layers head+last-block')
  if (request.boxes && layers !== 'head+last-block')
    throw new UsageError('--boxes trains the class activation map, which the last block makes: add --layers head+last-block')
  const deps = { store: ctx.store, registry: ctx.registry, engine: ctx.engine(), dataDir: ctx.dataDir }
  let result = await fineTune(
    deps,
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
  // Below its parent: a terminal asks; a script gets exit 4 and nothing registered (the finished run
  // stays in its checkpoint, so --register-if-worse later registers it without training again).
  if (!result.registered && !values.json && process.stdin.isTTY && process.stderr.isTTY) {
    printLocalization(result)
    const answer = await askToRegister(
      `${result.version} scores below its parent (${result.belowParent?.reasons.join('; ')}). Register anyway? [y/N] `,
    )
    if (answer) result = await fineTune(deps, fineTuneRequestOf({ ...request, registerIfWorse: true, fresh: false }))
  }
  if (values.json) {
    console.log(JSON.stringify(result))
    return result.registered ? 0 : EXIT_BELOW_PARENT
  }
  for (const f of result.folds) console.log(`fold ${f.fold}: macro AUROC ${fmt(f.childMacroAuroc)} (parent ${fmt(f.parentMacroAuroc)})`)
  if (result.tTest)
    console.log(
      `paired t-test across folds: mean difference ${result.tTest.meanDifference.toFixed(4)}, t = ${result.tTest.t.toFixed(2)}, p = ${result.tTest.p.toFixed(4)}`,
    )
  printLocalization(result)
  console.log(
    result.child
      ? `new version ${result.child.id} ${result.child.version} (${result.layers}${result.resumedFrom ? `, resumed after epoch ${result.resumedFrom.epoch}` : ''})`
      : `not registered: ${result.version} scores below its parent (${result.belowParent?.reasons.join('; ')}); run the same command with --register-if-worse to register it without training again`,
  )
  console.log(`matrix products ran on ${result.provider}`)
  console.log(
    `validation macro AUROC ${fmt(result.valMacroAuroc.child)} vs parent ${result.parent.version} ${fmt(result.valMacroAuroc.parent)} on the same ${result.split.val} cases`,
  )
  console.log(
    `test macro AUROC ${fmt(result.testMacroAuroc.child)} vs parent ${fmt(result.testMacroAuroc.parent)} (${result.split.test} cases)`,
  )
  return result.registered ? 0 : EXIT_BELOW_PARENT
}
