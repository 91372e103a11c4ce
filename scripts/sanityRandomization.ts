/**
 * `npm run sanity:randomization [-- --model-dir DIR] [--images DIR] [--count N] [--occlusion-grid G]
 * [--shap-grid G] [--samples N] [--seed S] [--rows]`: the model-parameter randomization check
 * (Adebayo et al. 2018) for every explanation method on the reference model and the first N NIH
 * images (name order): each map against the map with the head, then the head and last block,
 * re-initialized with seeded random weights; Spearman ρ per image and finding. Budgets default to
 * the app's (occlusion and Kernel SHAP on an 8×8 grid, 1,000 samples). Progress goes to stderr; the
 * last line is one JSON object (summary per method and cascade step, Kernel SHAP's sampling noise
 * floor, and with --rows every image × finding ρ). The unit test runs the same check with small budgets.
 */
import { readdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { randomizationCheck } from '../src/main/evaluation/randomizationCheck'
import { RANDOMIZED_LAYERS } from '../src/main/evaluation/randomizedModel'
import { InferenceEngine } from '../src/main/model/inferenceEngine'
import { loadModelPackage } from '../src/main/model/modelPackage'
import { EXPLAIN_METHODS } from '../src/shared/explainMethods'

const { values } = parseArgs({
  options: {
    'model-dir': { type: 'string' },
    images: { type: 'string' },
    count: { type: 'string' },
    'occlusion-grid': { type: 'string' },
    'shap-grid': { type: 'string' },
    samples: { type: 'string' },
    seed: { type: 'string' },
    threads: { type: 'string' },
    rows: { type: 'boolean' },
  },
})

function integer(name: string, fallback: number, min: number, max: number): number {
  const raw = values[name as keyof typeof values]
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be an integer from ${min} to ${max}, not "${String(raw)}"`)
  return n
}

async function main(): Promise<void> {
  const modelDir = resolve(values['model-dir'] ?? 'resources/models/cxr-mobilenet-v1')
  const imagesDir = resolve(values.images ?? '../shared/data/nih/images-256')
  const count = integer('count', 4, 1, 1000)
  const budget = {
    occlusionGrid: integer('occlusion-grid', 8, 2, 32),
    shapGrid: integer('shap-grid', 8, 2, 16),
    samples: integer('samples', 1000, 16, 100_000),
    seed: 1,
  }
  const seed = integer('seed', 7, 0, 2 ** 31 - 1)
  const pkg = loadModelPackage(modelDir)
  const names = readdirSync(imagesDir)
    .filter((n) => n.endsWith('.png'))
    .sort()
    .slice(0, count)
  if (names.length < count) throw new Error(`${imagesDir} has ${names.length} PNG images; --count ${count} asked for more`)
  const engine = new InferenceEngine({ providers: ['cpu'], threads: integer('threads', availableParallelism(), 1, 256) })
  const started = performance.now()
  try {
    const report = await randomizationCheck(engine, pkg, {
      images: names.map((name) => ({ name, path: join(imagesDir, name) })),
      methods: EXPLAIN_METHODS,
      layers: RANDOMIZED_LAYERS,
      seed,
      budget,
      onProgress: (message) => console.error(`[sanity] ${((performance.now() - started) / 1000).toFixed(0)} s: ${message}`),
    })
    const { rows, ...rest } = report
    console.log(JSON.stringify({ ...rest, seconds: Math.round((performance.now() - started) / 1000), ...(values.rows ? { rows } : {}) }))
  } finally {
    await engine.close()
  }
}

main().catch((error: Error) => {
  console.error(`sanity:randomization: ${error.message}`)
  process.exitCode = 1
})
