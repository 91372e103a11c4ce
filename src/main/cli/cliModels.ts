import { parseArgs } from 'node:util'
import type { ModelPackage } from '../model/modelPackage'
import type { CliContext } from './cliContext'

export const MODELS_USAGE = 'cxr-lens models [--json] | cxr-lens models import DIR'

/** `models --json` prints {"models": [{"id", "version", "sha256", "findings"}]}, the default model first. */
export function runModels(ctx: CliContext, args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, 'data-dir': { type: 'string' } },
  })
  if (positionals[0] === 'import') {
    if (!positionals[1]) throw new Error(`models import needs a folder\nusage: ${MODELS_USAGE}`)
    const { pkg } = ctx.registry.import(positionals[1])
    const m = pkg.manifest
    console.log(
      values.json
        ? JSON.stringify({ imported: { id: m.id, version: m.version, sha256: m.sha256, dir: pkg.dir, ood: oodCheck(pkg) } })
        : `imported ${m.id} ${m.version} (${m.findings.length} findings) into ${pkg.dir}`,
    )
    // The model runs without its statistics, but whoever installed it must know.
    if (!values.json && pkg.oodMissing) console.log(`  warning: ${pkg.oodMissing}`)
    return 0
  }
  if (positionals.length) throw new Error(`unknown models subcommand "${positionals[0]}"\nusage: ${MODELS_USAGE}`)
  const { models, broken } = ctx.registry.scan()
  if (values.json) {
    console.log(
      JSON.stringify({
        models: models.map(({ pkg, source }, i) => ({
          id: pkg.manifest.id,
          version: pkg.manifest.version,
          sha256: pkg.manifest.sha256,
          findings: pkg.manifest.findings,
          source,
          default: i === 0,
          ood: oodCheck(pkg),
        })),
        broken,
      }),
    )
    return 0
  }
  if (models.length === 0) console.log('No model installed. Import one with: cxr-lens models import DIR')
  models.forEach(({ pkg, source }, i) => {
    const m = pkg.manifest
    console.log(
      `${i === 0 ? '*' : ' '} ${m.id} ${m.version}  ${source}  ${m.findings.length} findings  sha256 ${m.sha256.slice(0, 12)}…  ${m.modelCard.intendedUse}`,
    )
  })
  for (const b of broken) console.error(`! ${b.error}`)
  return 0
}

/** A model's out-of-distribution check as the CLI prints it: its score and threshold, or why there is none. */
function oodCheck(pkg: ModelPackage): { method: string; threshold: number } | { unavailable: string } {
  if (!pkg.ood) return { unavailable: pkg.oodMissing ?? 'no out-of-distribution check' }
  return { method: pkg.ood.method, threshold: pkg.ood.method === 'mahalanobis' ? pkg.ood.mahalanobis.threshold : pkg.ood.energy.threshold }
}
