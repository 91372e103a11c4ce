/**
 * `npm run bench:ood [-- --model-dir DIR] [--images DIR] [--split-file CSV] [--threads N] [--write-card]`: how the
 * package's out-of-distribution check (its ood.json, fitted by ood:fit on train/val) does on data it
 * never saw: the flag rate on the development TEST split (aim ≤ 5%), and the detection rate per kind
 * of image that is not a frontal chest radiograph (aim ≥ 95% for non-chest images):
 *   nonMedical: PNG/JPEG icons, logos and documentation figures shipped on this machine (probes.ts
 *     NON_MEDICAL_ROOTS; the folders and counts are printed);
 *   noise, gradient: seeded (seed 2; ood:fit used seed 1);
 *   rotated90, rotated180, inverted, cropQuarter, downscaled32: the test images transformed.
 * Both scores are reported at their validation thresholds; `method` is the one the package uses.
 * `--write-card` also stores the figures in the manifest's model card (modelCard.outOfDistribution.test;
 * the manifest's hashes cover model.onnx and ood.json, not the card). The last line is one JSON object.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { InferenceEngine } from '../src/main/model/inferenceEngine'
import { loadModelPackage } from '../src/main/model/modelPackage'
import { flaggedRate } from '../src/main/model/oodFit'
import { mahalanobisDistance } from '../src/main/model/oodScore'
import { OOD_METHODS, type OodMethod } from '../src/main/model/oodStats'
import { DERIVED_KINDS, derivedProbe, nonMedicalImages, splitImages, SYNTHETIC_KINDS, syntheticProbe } from './ood/probes'
import { poolAndEnergy } from './ood/scoreImages'

const BENCH_SEED = 2
const SYNTHETIC_PER_KIND = 40

const { values } = parseArgs({
  options: {
    'model-dir': { type: 'string' },
    images: { type: 'string' },
    'split-file': { type: 'string' },
    threads: { type: 'string' },
    'write-card': { type: 'boolean' },
  },
})
const modelDir = resolve(values['model-dir'] ?? 'resources/models/cxr-mobilenet-v1')
const imagesDir = resolve(values.images ?? '../shared/data/nih/images-256')
const splitFile = resolve(values['split-file'] ?? 'training/reference/split.csv')
const round = (x: number) => Number(x.toFixed(4))

async function main(): Promise<void> {
  const started = performance.now()
  const pkg = loadModelPackage(modelDir)
  if (!pkg.ood) throw new Error(`${pkg.oodMissing}; run npm run ood:fit -- --model-dir ${modelDir}`)
  const stats = pkg.ood
  const engine = new InferenceEngine({ threads: values.threads ? Number(values.threads) : availableParallelism() })
  const thresholds: Record<OodMethod, number> = { mahalanobis: stats.mahalanobis.threshold, energy: stats.energy.threshold }
  const progress = (label: string) => (d: number, t: number) => process.stderr.write(`\r${label} ${d}/${t}   `)
  const rates = async (inputs: Array<{ image: string | Uint8Array; name: string }>, label: string) => {
    const run = await poolAndEnergy(engine, pkg, inputs, progress(label))
    const mahalanobis = Array.from({ length: run.n }, (_, i) =>
      mahalanobisDistance(stats.mahalanobis, run.pooled.subarray(i * run.dims, (i + 1) * run.dims)),
    )
    const scores: Record<OodMethod, number[]> = { mahalanobis, energy: run.energy }
    return Object.fromEntries(OOD_METHODS.map((m) => [m, round(flaggedRate(scores[m], thresholds[m]))])) as Record<OodMethod, number>
  }

  const test = splitImages(splitFile, 'test', (path) => readFileSync(path, 'utf8'))
  const testFlagged = await rates(
    test.map((name) => ({ image: join(imagesDir, name), name })),
    'test',
  )
  const detection: Record<string, Record<OodMethod, number> & { images: number }> = {}
  const found = nonMedicalImages()
  detection.nonMedical = {
    ...(await rates(
      found.map((f) => ({ image: f.path, name: f.path })),
      'nonMedical',
    )),
    images: found.length,
  }
  for (const kind of SYNTHETIC_KINDS) {
    const inputs = await Promise.all(
      Array.from({ length: SYNTHETIC_PER_KIND }, async (_, i) => ({
        image: await syntheticProbe(kind, i, BENCH_SEED),
        name: `${kind} ${i}`,
      })),
    )
    detection[kind] = { ...(await rates(inputs, kind)), images: inputs.length }
  }
  for (const kind of DERIVED_KINDS) {
    const inputs = await Promise.all(
      test.map(async (name, i) => ({ image: await derivedProbe(join(imagesDir, name), kind, i), name: `${name} ${kind}` })),
    )
    detection[kind] = { ...(await rates(inputs, kind)), images: inputs.length }
  }
  process.stderr.write('\n')
  await engine.close()
  const sources = Object.fromEntries(
    [...new Set(found.map((f) => f.root))].map((root) => [root, found.filter((f) => f.root === root).length]),
  )
  const measured = {
    test: { images: test.length, flagged: testFlagged[stats.method] },
    detection: Object.fromEntries(Object.entries(detection).map(([kind, d]) => [kind, { images: d.images, detected: d[stats.method] }])),
    by: 'npm run bench:ood',
  }
  if (values['write-card']) {
    const path = join(modelDir, 'manifest.json')
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { modelCard: { outOfDistribution?: Record<string, unknown> } }
    manifest.modelCard.outOfDistribution = { ...manifest.modelCard.outOfDistribution, test: measured }
    writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`)
    loadModelPackage(modelDir) // still verifies
  }
  console.log(
    JSON.stringify({
      model: { id: pkg.manifest.id, version: pkg.manifest.version, sha256: pkg.manifest.sha256 },
      method: stats.method,
      thresholds: { mahalanobis: round(thresholds.mahalanobis), energy: round(thresholds.energy) },
      test: { images: test.length, flagged: testFlagged },
      detection,
      non_medical_sources: sources,
      seconds: round((performance.now() - started) / 1000),
    }),
  )
}

main().catch((error: unknown) => {
  console.error((error as Error).message)
  process.exit(1)
})
