import { parseArgs } from 'node:util'
import { fineTune } from '../training/fineTune'
import { UsageError, type CliContext } from './cliContext'

export const TRAIN_USAGE = 'cxr-lens train --model ID [--layers head] [--folds 5] [--epochs N] [--loss bce|focal] [--lr X] [--json]'

const fmt = (v: number | null) => (v === null ? '–' : v.toFixed(3))

export async function runTrain(ctx: CliContext, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' }, version: { type: 'string' }, layers: { type: 'string' }, folds: { type: 'string' }, epochs: { type: 'string' },
      loss: { type: 'string' }, lr: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' }, 'data-dir': { type: 'string' },
    },
  })
  const layers = values.layers ?? 'head'
  if (layers !== 'head') throw new UsageError(`--layers ${layers} is not available in this version: only the final layer ("head") is trained`)
  if (values.loss && values.loss !== 'bce' && values.loss !== 'focal') throw new UsageError('--loss is bce or focal')
  const result = await fineTune(
    { store: ctx.store, registry: ctx.registry, engine: ctx.engine() },
    {
      model: values.model, version: values.version, layers: 'head', folds: values.folds ? Number(values.folds) : undefined,
      options: {
        ...(values.epochs ? { maxEpochs: Number(values.epochs) } : {}), ...(values.loss ? { loss: values.loss as 'bce' | 'focal' } : {}),
        ...(values.lr ? { learningRate: Number(values.lr) } : {}), ...(values.seed ? { seed: Number(values.seed) } : {}),
      },
    },
    values.json ? {} : {
      onProgress: (m) => process.stderr.write(`${m}\n`),
      onEpoch: (r) => console.log(`${r.fold ? `fold ${r.fold} ` : ''}epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, val macro AUROC ${fmt(r.valMacroAuroc)}, lr ${r.learningRate.toExponential(1)} (${r.seconds.toFixed(2)} s)`),
    },
  )
  if (values.json) {
    console.log(JSON.stringify(result))
    return 0
  }
  for (const f of result.folds) console.log(`fold ${f.fold}: macro AUROC ${fmt(f.childMacroAuroc)} (parent ${fmt(f.parentMacroAuroc)})`)
  if (result.tTest) console.log(`paired t-test across folds: mean difference ${result.tTest.meanDifference.toFixed(4)}, t = ${result.tTest.t.toFixed(2)}, p = ${result.tTest.p.toFixed(4)}`)
  console.log(`new version ${result.child.id} ${result.child.version}`)
  console.log(`validation macro AUROC ${fmt(result.valMacroAuroc.child)} vs parent ${result.parent.version} ${fmt(result.valMacroAuroc.parent)} on the same ${result.split.val} cases`)
  console.log(`test macro AUROC ${fmt(result.testMacroAuroc.child)} vs parent ${fmt(result.testMacroAuroc.parent)} (${result.split.test} cases)`)
  return 0
}
