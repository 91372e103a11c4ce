/**
 * Checks a seed ensemble made by training/reference/ensemble.py through the app's own engine, on real
 * images: its logits must be the mean of its members' logits, and its feature map the members' maps
 * side by side (so its class activation map is the mean of theirs). The engine's own head check runs
 * on the first batch of each model too.
 *
 *   npx tsx scripts/checkEnsemble.ts --ensemble DIR [--images ../shared/data/nih/images-256] [--n 16] MEMBER_DIR…
 */
import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { InferenceEngine } from '../src/main/model/inferenceEngine'
import { loadModelPackage } from '../src/main/model/modelPackage'
import { preprocessImage } from '../src/main/model/preprocess'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ensemble: { type: 'string' },
    images: { type: 'string', default: '../shared/data/nih/images-256' },
    n: { type: 'string', default: '16' },
  },
})
if (!values.ensemble || positionals.length < 2)
  throw new Error('usage: checkEnsemble.ts --ensemble DIR [--images DIR] [--n N] MEMBER_DIR MEMBER_DIR…')

const TOLERANCE = 1e-4

async function main() {
  const ensemble = loadModelPackage(resolve(values.ensemble!))
  const members = positionals.map((dir) => loadModelPackage(resolve(dir)))
  const files = readdirSync(resolve(values.images!))
    .filter((f) => f.endsWith('.png'))
    .sort()
    .slice(0, Number(values.n))
  const engine = new InferenceEngine({ providers: ['cpu'], threads: 2 })
  const [, h, w] = ensemble.manifest.outputs.features.shape
  const cells = h * w
  let worstLogit = 0
  let worstFeature = 0
  try {
    for (const file of files) {
      const x = await preprocessImage(join(resolve(values.images!), file), ensemble.manifest)
      const got = await engine.run(ensemble, x, 1)
      const outs = await Promise.all(members.map((m) => engine.run(m, x, 1)))
      const C = got.logits.length
      for (let c = 0; c < C; c++) {
        const want = outs.reduce((s, o) => s + o.logits[c], 0) / outs.length
        worstLogit = Math.max(worstLogit, Math.abs(got.logits[c] - want))
      }
      let offset = 0
      for (const o of outs) {
        for (let i = 0; i < o.features.length; i++)
          worstFeature = Math.max(worstFeature, Math.abs(got.features[offset + i] - o.features[i]))
        offset += o.features.length
      }
      if (offset !== got.features.length)
        throw new Error(`${file}: the ensemble has ${got.features.length / cells} feature channels, its members ${offset / cells}`)
    }
  } finally {
    await engine.close()
  }
  const ok = worstLogit <= TOLERANCE && worstFeature <= TOLERANCE
  console.log(
    `${ensemble.manifest.version} on ${files.length} images: max |logit − mean of members'| ${worstLogit.toExponential(2)}, max |feature − member's| ${worstFeature.toExponential(2)} (tolerance ${TOLERANCE}) ${ok ? 'ok' : 'FAILED'}`,
  )
  if (!ok) process.exitCode = 1
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
