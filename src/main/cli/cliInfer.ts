import { parseArgs } from 'node:util'
import { analyzeCases } from '../analysis/analysisService'
import { UsageError, type CliContext } from './cliContext'
import { oodJson, oodText } from './cliOod'

export const INFER_USAGE = 'cxr-lens infer --model ID [--finding F] (--case NAME ... | --all) [--threads N] [--json]'

/** Predictions for every finding, stored per case and model version. */
export async function runInfer(ctx: CliContext, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      version: { type: 'string' },
      finding: { type: 'string' },
      case: { type: 'string', multiple: true },
      all: { type: 'boolean' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
      'data-dir': { type: 'string' },
    },
  })
  const caseIds = ctx.selectCases(values.case, values.all)
  if (caseIds.length === 0) throw new UsageError('there are no cases to run; import some first')
  const showProgress = process.stderr.isTTY && !values.json
  const result = await analyzeCases(
    { store: ctx.store, registry: ctx.registry, engine: ctx.engine(values.threads ? Number(values.threads) : undefined) },
    { caseIds, model: values.model, version: values.version, methods: [], findings: values.finding ? [values.finding] : undefined },
    { onProgress: showProgress ? (done, total) => process.stderr.write(`\rinfer ${done}/${total}`) : undefined },
  )
  if (showProgress) process.stderr.write('\n')
  const pick = (probabilities: Record<string, number>) =>
    values.finding ? { [values.finding]: probabilities[values.finding] } : probabilities
  if (values.json) {
    console.log(
      JSON.stringify({
        model: result.model,
        provider: result.provider,
        provider_attempts: result.providerAttempts,
        seconds: result.seconds,
        cases: result.cases.map((c) => ({ image: c.image, probabilities: pick(c.probabilities), ood: oodJson(c.ood) })),
        // Why every case's `ood` is null (or has no score): the model has no out-of-distribution check.
        ood_unavailable: result.oodUnavailable,
      }),
    )
    return 0
  }
  console.log(
    `model ${result.model.id} ${result.model.version}, provider ${result.provider}, ${result.cases.length} case(s) in ${result.seconds.toFixed(2)} s`,
  )
  for (const a of result.providerAttempts.filter((a) => !a.ok)) console.log(`  (${a.provider} not used: ${a.reason})`)
  if (result.oodUnavailable) console.log(`  (${result.oodUnavailable})`)
  for (const c of result.cases) {
    const ranked = Object.entries(pick(c.probabilities))
      .sort((a, b) => b[1] - a[1])
      .slice(0, values.finding ? 1 : 3)
    console.log(`${c.image}\t${ranked.map(([f, p]) => `${f} ${p.toFixed(3)}`).join('  ')}${oodText(c.ood)}`)
  }
  return 0
}
