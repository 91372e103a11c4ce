/**
 * `npm run ood:fit -- --model-dir DIR [--images DIR] [--split-file CSV] [--k 32] [--threads N]`:
 * fits a model package's out-of-distribution statistics from the development split and writes
 * `ood.json` beside its model.onnx, with its SHA-256 in manifest.json (`ood`) and the validation
 * numbers in the model card (`modelCard.outOfDistribution`). Any package: the lead reruns it on a new
 * reference model.
 *
 * - train split: the pooled-feature mean and Ledoit–Wolf tied covariance (top k directions + rest);
 * - val split: each score's threshold (95% of in-distribution validation images pass), and the
 *   method choice by a rule fixed before the test split is looked at: the score with the higher
 *   mean detection rate over the validation-derived kinds (val images rotated 90°/180°, inverted,
 *   cropped to a quarter, downscaled to 32 px and back; seeded noise and gradients, seed 1); a tie
 *   goes to Mahalanobis. The test split and the non-medical images are left to bench:ood.
 * Prints one JSON object.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { sha256Of } from '../src/main/model/hashing'
import { InferenceEngine } from '../src/main/model/inferenceEngine'
import { loadModelPackage } from '../src/main/model/modelPackage'
import { fitMahalanobis, flaggedRate, passThreshold } from '../src/main/model/oodFit'
import { mahalanobisDistance } from '../src/main/model/oodScore'
import { OOD_FILE, serializeOodStats, type OodMethod, type OodStats } from '../src/main/model/oodStats'
import { DERIVED_KINDS, derivedProbe, splitImages, SYNTHETIC_KINDS, syntheticProbe } from './ood/probes'
import { poolAndEnergy } from './ood/scoreImages'

const PASS_RATE = 0.95
const SYNTHETIC_PER_KIND = 40
const FIT_SEED = 1

const { values } = parseArgs({
  options: {
    'model-dir': { type: 'string' },
    images: { type: 'string' },
    'split-file': { type: 'string' },
    k: { type: 'string' },
    threads: { type: 'string' },
  },
})
if (!values['model-dir']) {
  console.error('usage: npm run ood:fit -- --model-dir DIR [--images DIR] [--split-file CSV] [--k 32] [--threads N]')
  process.exit(2)
}
const modelDir = resolve(values['model-dir'])
const imagesDir = resolve(values.images ?? '../shared/data/nih/images-256')
const splitFile = resolve(values['split-file'] ?? 'training/reference/split.csv')
const k = Number(values.k ?? 32)
const round = (x: number, digits = 4) => Number(x.toFixed(digits))

async function main(): Promise<void> {
  const started = performance.now()
  const pkg = loadModelPackage(modelDir)
  const engine = new InferenceEngine({ threads: values.threads ? Number(values.threads) : availableParallelism() })
  const read = (path: string) => readFileSync(path, 'utf8')
  const train = splitImages(splitFile, 'train', read)
  const val = splitImages(splitFile, 'val', read)
  const progress = (label: string) => (d: number, t: number) => process.stderr.write(`\r${label} ${d}/${t}   `)
  const asInputs = (names: string[]) => names.map((name) => ({ image: join(imagesDir, name), name }))

  const trainRun = await poolAndEnergy(engine, pkg, asInputs(train), progress('train'))
  const fitted = fitMahalanobis({ data: trainRun.pooled, n: trainRun.n, dims: trainRun.dims }, k)
  const scoresOf = async (inputs: Array<{ image: string | Uint8Array; name: string }>, label: string) => {
    const run = await poolAndEnergy(engine, pkg, inputs, progress(label))
    const mahalanobis = Array.from({ length: run.n }, (_, i) =>
      mahalanobisDistance(fitted, run.pooled.subarray(i * run.dims, (i + 1) * run.dims)),
    )
    return { mahalanobis, energy: run.energy }
  }
  const valScores = await scoresOf(asInputs(val), 'val')
  const thresholds: Record<OodMethod, number> = {
    mahalanobis: passThreshold(valScores.mahalanobis, PASS_RATE),
    energy: passThreshold(valScores.energy, PASS_RATE),
  }

  const detection: Record<string, Record<OodMethod, number>> = {}
  for (const kind of DERIVED_KINDS) {
    const inputs = await Promise.all(
      val.map(async (name, i) => ({ image: await derivedProbe(join(imagesDir, name), kind, i), name: `${name} ${kind}` })),
    )
    const scores = await scoresOf(inputs, `val ${kind}`)
    detection[kind] = {
      mahalanobis: flaggedRate(scores.mahalanobis, thresholds.mahalanobis),
      energy: flaggedRate(scores.energy, thresholds.energy),
    }
  }
  for (const kind of SYNTHETIC_KINDS) {
    const inputs = await Promise.all(
      Array.from({ length: SYNTHETIC_PER_KIND }, async (_, i) => ({
        image: await syntheticProbe(kind, i, FIT_SEED),
        name: `${kind} ${i}`,
      })),
    )
    const scores = await scoresOf(inputs, kind)
    detection[kind] = {
      mahalanobis: flaggedRate(scores.mahalanobis, thresholds.mahalanobis),
      energy: flaggedRate(scores.energy, thresholds.energy),
    }
  }
  process.stderr.write('\n')
  const kinds = Object.keys(detection)
  const meanDetection = (method: OodMethod) => kinds.reduce((s, kind) => s + detection[kind][method], 0) / kinds.length
  const method: OodMethod = meanDetection('energy') > meanDetection('mahalanobis') ? 'energy' : 'mahalanobis'

  const validation = {
    images: val.length,
    passed: {
      mahalanobis: round(1 - flaggedRate(valScores.mahalanobis, thresholds.mahalanobis)),
      energy: round(1 - flaggedRate(valScores.energy, thresholds.energy)),
    },
    detection: Object.fromEntries(
      kinds.map((kind) => [kind, { mahalanobis: round(detection[kind].mahalanobis), energy: round(detection[kind].energy) }]),
    ),
    meanDetection: { mahalanobis: round(meanDetection('mahalanobis')), energy: round(meanDetection('energy')) },
  }
  const { explained, ...mahalanobis } = fitted
  const stats: OodStats = {
    method,
    passRate: PASS_RATE,
    mahalanobis: { ...mahalanobis, threshold: thresholds.mahalanobis },
    energy: { threshold: thresholds.energy },
    provenance: {
      createdBy: 'npm run ood:fit',
      model: { id: pkg.manifest.id, version: pkg.manifest.version, sha256: pkg.manifest.sha256 },
      splitFile: 'training/reference/split.csv',
      train: train.length,
      features: 'global-average-pooled features output',
      covariance: `tied (pooled over all training images), Ledoit–Wolf shrinkage ${round(fitted.shrinkage)}; top ${fitted.k} directions (${round(100 * explained, 1)}% of the variance) kept exactly, the other ${fitted.dims - fitted.k} as one variance`,
      energy: 'joint energy of the sigmoid logits, −Σ_c log(1 + e^{f_c})',
      rule: 'higher mean detection over the validation-derived kinds at 95% in-distribution validation pass; tie → mahalanobis',
      validation,
    },
  }
  const bytes = serializeOodStats(stats)
  writeFileSync(join(modelDir, OOD_FILE), bytes)
  const manifestPath = join(modelDir, 'manifest.json')
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown> & { modelCard: Record<string, unknown> }
  // Keep the manifest's key order: `ood` goes right after the model's own hash.
  const ordered: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(manifest)) {
    if (key === 'ood') continue
    ordered[key] = value
    if (key === 'sha256') ordered.ood = { file: OOD_FILE, sha256: sha256Of(bytes) }
  }
  ;(ordered.modelCard as Record<string, unknown>).outOfDistribution = {
    method,
    threshold: round(method === 'mahalanobis' ? thresholds.mahalanobis : thresholds.energy),
    validation,
    // A new fit makes earlier test figures stale: bench:ood --write-card measures them again.
    test: 'run npm run bench:ood -- --write-card',
  }
  writeFileSync(manifestPath, `${JSON.stringify(ordered, null, 2)}\n`)
  loadModelPackage(modelDir) // the package still verifies with its new file
  await engine.close()
  console.log(
    JSON.stringify({
      model: { id: pkg.manifest.id, version: pkg.manifest.version },
      file: join(modelDir, OOD_FILE),
      bytes: bytes.byteLength,
      method,
      thresholds: { mahalanobis: round(thresholds.mahalanobis), energy: round(thresholds.energy) },
      shrinkage: round(fitted.shrinkage),
      k: fitted.k,
      explained: round(explained),
      train: train.length,
      validation,
      seconds: round((performance.now() - started) / 1000, 1),
    }),
  )
}

main().catch((error: unknown) => {
  console.error((error as Error).message)
  process.exit(1)
})
