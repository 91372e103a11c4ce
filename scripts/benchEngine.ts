/**
 * `npm run bench:engine [-- --arch mobilenet_v2|densenet121|resnet50] [--threads N] [--model-dir DIR]
 * [--repeats N] [--samples N] [--runs N] [--session-variants] [--provider cpu|webgpu|cuda] [--peak-size N]`: speed of the engine on real NIH images. Without --model-dir the
 * benchmark model is generated here (random weights, speed only) by training/bench/export_bench_model.py
 * when Debian's python3-torch/torchvision are installed, which also times PyTorch on the same network
 * side by side; without them it falls back to the small test fixture and torch_b1_p50 is null.
 * Besides latency it prints the issue-17 ratio rows: inference over the FLOP limit (the graph's FLOPs
 * over a dense MatMul's FLOP/s measured in this process, on the engine's provider, threads and session
 * options: the best of 24 runs, and pair by pair in alternation with inference), all-findings Grad-CAM
 * over one inference (median of per-pair ratios),
 * and Kernel SHAP and occlusion over the same number of forward passes batched. Rows that are compared
 * are timed in alternation and reported as medians over repeats, so a noisy machine skews them alike.
 * The last line is one JSON object (fields as issues #3 and #17 name them).
 *
 * `--provider` runs the engine (and the peak MatMul) on that provider only; without it the engine's
 * default chain decides, as in the app, and `provider_attempts` says what it tried. WebGPU on a
 * software Vulkan driver (VK_ICD_FILENAMES naming Chromium's SwiftShader) runs the real WebGPU code on
 * the CPU: the JSON then says so in `provider_note`, and its times are not GPU figures.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { camForAllClasses } from '../src/main/explain/camMethods'
import { kernelShapGrid, occlusionGrid } from '../src/main/explain/perturbationMethods'
import { graphFlops } from '../src/main/model/graphFlops'
import { blurTensor, composeMasked, gridRegions, inputGeometry } from '../src/main/model/imageOps'
import { InferenceEngine } from '../src/main/model/inferenceEngine'
import type { ProviderName } from '../src/main/model/providers'
import { loadModelPackage, type ModelPackage } from '../src/main/model/modelPackage'
import { preprocessImage } from '../src/main/model/preprocess'
import { median, percentile, round, timeAlternating, timeIt } from './benchTiming'
import { measurePeakFlops, openPeakMatmul } from './flopLimit'
import { sessionVariants } from './sessionVariants'

const { values } = parseArgs({
  options: {
    arch: { type: 'string' },
    threads: { type: 'string' },
    'model-dir': { type: 'string' },
    images: { type: 'string' },
    repeats: { type: 'string' },
    samples: { type: 'string' },
    'session-variants': { type: 'boolean' },
    provider: { type: 'string' },
    'peak-size': { type: 'string' },
    runs: { type: 'string' },
  },
})
const PROVIDERS: readonly ProviderName[] = ['cpu', 'webgpu', 'cuda']
if (values.provider !== undefined && !PROVIDERS.includes(values.provider as ProviderName))
  throw new Error(`--provider must be one of ${PROVIDERS.join(', ')}; got ${values.provider}`)
const providers = values.provider ? [values.provider as ProviderName] : undefined
const peakSize = Math.max(64, Number(values['peak-size'] ?? 1024))
const softwareVulkan = /swiftshader/i.test(process.env.VK_ICD_FILENAMES ?? '')
const threads = values.threads ? Number(values.threads) : availableParallelism()
const imagesDir = resolve(values.images ?? '../shared/data/nih/images-1024')

type Timed = { wall: number[]; cpu: number[] }
const repeats = Math.max(1, Number(values.repeats ?? 3))
const samples = Math.max(2, Number(values.samples ?? 1000))
/** Runs of each latency row (batch 1, the FLOP-limit pairs, Grad-CAM pairs per repeat); batch 8 gets a quarter. */
const runs = Math.max(2, Number(values.runs ?? 30))
/** Batch size of the perturbation methods (kernelShapGrid's and occlusionGrid's default). */
const PERTURBATION_BATCH = 32

/**
 * `count` forward passes in batches of `batchSize`, the inputs built beforehand: the baseline of the
 * perturbation rows. The inputs are masked images of the same image and background (half the grid
 * regions kept), so the baseline runs the same kind of pass on the same kind of data.
 */
function forwardPasses(
  engine: InferenceEngine,
  pkg: ModelPackage,
  image: Float32Array,
  background: Float32Array,
  count: number,
  batchSize: number,
) {
  const { height, width } = inputGeometry(pkg.manifest)
  const masks = Array.from({ length: batchSize }, (_, n) => Uint8Array.from({ length: 64 }, (_, m) => (m * 7 + n * 3) % 2))
  const batch = composeMasked(image, background, gridRegions(height, width, 8), masks, pkg.manifest)
  const size = image.length
  return async () => {
    for (let done = 0; done < count; done += batchSize) {
      const n = Math.min(batchSize, count - done)
      await engine.run(pkg, batch.subarray(0, n * size), n)
    }
  }
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
    // No data folder here: no remembered provider failures either, the chain is walked every run.
    const engine = new InferenceEngine({ threads, providers, memory: null })
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
    const { attempts } = await engine.session(pkg)
    await timeIt(Math.min(3, runs), () => engine.run(pkg, one, 1))
    const b1 = await timeIt(runs, () => engine.run(pkg, tensors[Math.floor(Math.random() * tensors.length)], 1))
    const batch8 = new Float32Array(one.length * 8)
    tensors.slice(0, 8).forEach((t, i) => batch8.set(t, i * one.length))
    const b8 = (await timeIt(Math.max(2, Math.round(runs / 4)), () => engine.run(pkg, batch8, 8))).map((ms) => ms / 8)
    const [K, h, w] = pkg.manifest.outputs.features.shape
    const { channels, height, width } = inputGeometry(pkg.manifest)
    const inputDims = pkg.manifest.input.layout === 'NCHW' ? [1, channels, height, width] : [1, height, width, channels]
    const flops = await graphFlops(readFileSync(pkg.modelPath), { [pkg.manifest.input.name]: inputDims })
    // the peak on the provider the engine ended up on, with the engine's threads and session options
    const peakOptions = { threads, providers: [provider as ProviderName], memory: null }
    const peak = await measurePeakFlops(peakOptions, peakSize)
    // The limit pair by pair: each inference beside a peak MatMul run just before it.
    const peakMatmul = await openPeakMatmul(peakOptions, peakSize)
    const limitPairs = await timeAlternating(runs, { peak: peakMatmul.run, infer: () => engine.run(pkg, one, 1) })
    await peakMatmul.close()
    const cam = (out: { features: Float32Array }) =>
      camForAllClasses('gradcam', { data: out.features, channels: K, height: h, width: w }, pkg.head)
    const features = await engine.run(pkg, one, 1)
    const camOnly = await timeIt(100, () => cam(features))
    const gradcam = await timeAlternating(runs * repeats, {
      infer: () => engine.run(pkg, one, 1),
      gradcam: async () => cam(await engine.run(pkg, one, 1)),
    })
    const input = { pkg, engine, image: one, background: blurTensor(one, pkg.manifest, pkg.manifest.input.height / 16) }
    // grid G has (G−1)² patches: the grid closest to `samples` patches
    const occlusionGridSize = Math.max(2, Math.round(Math.sqrt(samples)) + 1)
    let shapEvaluations = 0
    // the baselines' inputs are built here, outside the timed rows
    const shapForward = forwardPasses(engine, pkg, one, input.background, samples + 2, PERTURBATION_BATCH)
    const occlusionForward = forwardPasses(engine, pkg, one, input.background, (occlusionGridSize - 1) ** 2 + 1, PERTURBATION_BATCH)
    const perturbation = await timeAlternating(repeats, {
      kernelshap: async () =>
        (shapEvaluations = (await kernelShapGrid(input, { grid: 8, samples, batchSize: PERTURBATION_BATCH })).shap.evaluations),
      kernelshapForward: shapForward,
      occlusion: () => occlusionGrid(input, { grid: occlusionGridSize, batchSize: PERTURBATION_BATCH }),
      occlusionForward: occlusionForward,
    })
    await engine.close()
    const variants =
      values['session-variants'] && provider === 'cpu'
        ? await sessionVariants(pkg.modelPath, pkg.manifest.input.name, one, inputDims, threads)
        : null
    const b1p50 = median(b1)
    const limitMs = (flops.flops / peak.best) * 1000
    // per pair: inference time over the time the peak MatMul would take for the network's FLOPs
    const perPair = (infer: number[], peakTimes: number[]) =>
      median(infer.map((t, i) => t / ((peakTimes[i] * flops.flops) / peakMatmul.flops)))
    const pairRatio = (a: number[], b: number[]) => median(a.map((t, i) => t / b[i]))
    const ratioRow = (method: Timed, forward: Timed) => ({
      ms_p50: round(median(method.wall)),
      forward_batched_ms_p50: round(median(forward.wall)),
      over_forward: round(median(method.wall) / median(forward.wall)),
      cpu_ms_p50: round(median(method.cpu)),
      forward_batched_cpu_ms_p50: round(median(forward.cpu)),
      cpu_over_forward: round(median(method.cpu) / median(forward.cpu)),
    })
    const shapRow = ratioRow(perturbation.kernelshap, perturbation.kernelshapForward)
    console.log(
      JSON.stringify({
        model: pkg.manifest.id,
        model_source: model.source,
        provider,
        provider_attempts: attempts,
        provider_note:
          provider === 'webgpu' && softwareVulkan
            ? 'WebGPU on SwiftShader, a Vulkan driver that runs on the CPU: a correctness run of the WebGPU code path, not GPU speed'
            : null,
        threads,
        images: images.length,
        repeats,
        preprocess_ms_p50: round(median(preprocessTimes)),
        infer_ms: { b1_p50: round(b1p50), b1_p95: round(percentile(b1, 0.95)), b8_per_image_p50: round(median(b8)) },
        flops_per_image: flops.flops,
        peak_gflops: {
          best: round(peak.best / 1e9),
          p50: round(peak.p50 / 1e9),
          cpu_time: round(peak.cpu / 1e9),
          runs: peak.runs,
          matmul: `${peak.size}x${peak.size}x${peak.size}`,
          provider: peak.provider,
          threads,
        },
        flop_limit_ms: round(limitMs),
        // b1 p50 over the limit at the best peak run; per pair (each inference against the MatMul run
        // beside it, wall and process CPU time); and the fastest inference over the best peak
        infer_over_flop_limit: round(b1p50 / limitMs),
        infer_over_flop_limit_paired: round(perPair(limitPairs.infer.wall, limitPairs.peak.wall)),
        infer_over_flop_limit_paired_cpu: round(perPair(limitPairs.infer.cpu, limitPairs.peak.cpu)),
        infer_best_over_flop_limit: round(Math.min(...b1, ...limitPairs.infer.wall) / limitMs),
        gradcam_all_ms_p50: round(median(gradcam.gradcam.wall)),
        gradcam_infer_ms_p50: round(median(gradcam.infer.wall)),
        gradcam_pairs: gradcam.infer.wall.length,
        // median over pairs of (inference + all maps) / (inference alone), timed back to back
        gradcam_all_over_infer: round(pairRatio(gradcam.gradcam.wall, gradcam.infer.wall)),
        gradcam_all_cpu_over_infer: round(pairRatio(gradcam.gradcam.cpu, gradcam.infer.cpu)),
        gradcam_all_over_infer_of_medians: round(median(gradcam.gradcam.wall) / median(gradcam.infer.wall)),
        gradcam_maps_only_ms_p50: round(median(camOnly)),
        kernelshap_1000_ms: shapRow.ms_p50,
        kernelshap_evaluations: shapEvaluations,
        kernelshap: { samples, grid: 8, batch: PERTURBATION_BATCH, evaluations: shapEvaluations, ...shapRow },
        occlusion: {
          grid: occlusionGridSize,
          batch: PERTURBATION_BATCH,
          evaluations: (occlusionGridSize - 1) ** 2 + 1,
          ...ratioRow(perturbation.occlusion, perturbation.occlusionForward),
        },
        session_variants: variants,
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
