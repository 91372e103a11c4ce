/**
 * `npm run bench:engine [-- --arch mobilenet_v2|densenet121|resnet50] [--threads N] [--model-dir DIR]`:
 * speed of the engine on real NIH images. Until the reference model exists, the benchmark model is
 * generated here (random weights, speed only) by training/bench/export_bench_model.py when Debian's
 * python3-torch/torchvision are installed, which also times PyTorch on the same network side by
 * side; without them it falls back to the small test fixture and torch_b1_p50 is null.
 * The last line is one JSON object (fields as issue #3 names them).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { camForAllClasses } from '../src/main/explain/camMethods'
import { blurTensor } from '../src/main/model/imageOps'
import { kernelShapGrid } from '../src/main/explain/perturbationMethods'
import { InferenceEngine } from '../src/main/model/inferenceEngine'
import { loadModelPackage } from '../src/main/model/modelPackage'
import { preprocessImage } from '../src/main/model/preprocess'

const { values } = parseArgs({
  options: { arch: { type: 'string' }, threads: { type: 'string' }, 'model-dir': { type: 'string' }, images: { type: 'string' } },
})
const threads = values.threads ? Number(values.threads) : availableParallelism()
const imagesDir = resolve(values.images ?? '../shared/data/nih/images-1024')

function percentile(times: number[], p: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]
}
const round = (x: number) => Math.round(x * 100) / 100

async function timeIt(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await fn()
    times.push(performance.now() - start)
  }
  return times
}

function benchModel(work: string): { dir: string; torchP50: number | null; source: string } {
  if (values['model-dir']) return { dir: resolve(values['model-dir']), torchP50: null, source: 'given' }
  try {
    const line = execFileSync(
      '/usr/bin/python3',
      [
        'training/bench/export_bench_model.py',
        join(work, 'model'),
        '--arch',
        values.arch ?? 'mobilenet_v2',
        '--threads',
        String(threads),
        '--torch-bench',
        '30',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    )
    const info = JSON.parse(line.trim().split('\n').at(-1)!) as { dir: string; torch_b1_p50: number | null }
    return { dir: info.dir, torchP50: info.torch_b1_p50, source: `generated ${values.arch ?? 'mobilenet_v2'} (random weights, speed only)` }
  } catch (error) {
    console.error(`[bench] PyTorch export unavailable (${(error as Error).message.split('\n')[0]}); using the test fixture`)
    return { dir: resolve('tests/fixtures/engine/tiny-resnet'), torchP50: null, source: 'fixture tiny-resnet' }
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'cxr-bench-engine-'))
  try {
    const model = benchModel(work)
    const pkg = loadModelPackage(model.dir)
    const engine = new InferenceEngine({ threads })
    const images = readdirSync(imagesDir)
      .filter((n) => n.endsWith('.png'))
      .sort()
      .slice(0, 16)
      .map((n) => join(imagesDir, n))
    if (images.length < 8) throw new Error(`need at least 8 images in ${imagesDir}`)
    const tensors: Float32Array[] = []
    const preprocessTimes = await timeIt(
      images.length,
      async () => void tensors.push(await preprocessImage(images[tensors.length], pkg.manifest)),
    )
    const one = tensors[0]
    const { provider } = await engine.run(pkg, one, 1) // warm-up, and the head check
    await timeIt(3, () => engine.run(pkg, one, 1))
    const b1 = await timeIt(30, () => engine.run(pkg, tensors[Math.floor(Math.random() * tensors.length)], 1))
    const batch8 = new Float32Array(one.length * 8)
    tensors.slice(0, 8).forEach((t, i) => batch8.set(t, i * one.length))
    const b8 = (await timeIt(8, () => engine.run(pkg, batch8, 8))).map((ms) => ms / 8)
    const [K, h, w] = pkg.manifest.outputs.features.shape
    const gradcamAll = await timeIt(30, async () => {
      const out = await engine.run(pkg, one, 1)
      return camForAllClasses('gradcam', { data: out.features, channels: K, height: h, width: w }, pkg.head)
    })
    const shapStart = performance.now()
    const shap = await kernelShapGrid(
      { pkg, engine, image: one, background: blurTensor(one, pkg.manifest, pkg.manifest.input.height / 16) },
      { grid: 8, samples: 1000, batchSize: 32 },
    )
    const kernelshapMs = performance.now() - shapStart
    await engine.close()
    const b1p50 = percentile(b1, 0.5)
    console.log(
      JSON.stringify({
        model: pkg.manifest.id,
        model_source: model.source,
        provider,
        threads,
        images: images.length,
        preprocess_ms_p50: round(percentile(preprocessTimes, 0.5)),
        infer_ms: { b1_p50: round(b1p50), b1_p95: round(percentile(b1, 0.95)), b8_per_image_p50: round(percentile(b8, 0.5)) },
        gradcam_all_ms_p50: round(percentile(gradcamAll, 0.5)),
        gradcam_all_over_infer: round(percentile(gradcamAll, 0.5) / b1p50),
        kernelshap_1000_ms: round(kernelshapMs),
        kernelshap_evaluations: shap.shap.evaluations,
        torch_b1_p50: model.torchP50 === null ? null : round(model.torchP50),
        infer_over_torch: model.torchP50 === null ? null : round(b1p50 / model.torchP50),
        peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      }),
    )
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

void main()
