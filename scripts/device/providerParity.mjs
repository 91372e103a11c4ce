// Runs the shipped model on the same real images with each execution provider that loads and compares
// every output with the CPU's (max abs difference of logits and features), plus timing per provider.
//   node scripts/device/providerParity.mjs MODEL_DIR IMAGES_DIR [providers=webgpu,cpu]
// Prints one JSON line. Used on the GPU machine (scripts/device/gpu-provider-check.sh), where
// WebGPU finds an adapter; on a machine without one the webgpu entry records the load error.
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import ort from 'onnxruntime-node'
import sharp from 'sharp'

const [modelDir, imagesDir, list = 'webgpu,cpu'] = process.argv.slice(2)
const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8'))
const { height: H, width: W } = manifest.input
const { mean, std, scale } = manifest.preprocess.normalization
const names = readdirSync(imagesDir)
  .filter((n) => n.endsWith('.png'))
  .sort()
  .slice(0, 8)

async function tensorOf(file) {
  const px = await sharp(file).greyscale().resize(W, H, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer()
  const out = new Float32Array(3 * H * W)
  for (let c = 0; c < 3; c++) for (let i = 0; i < H * W; i++) out[c * H * W + i] = (px[i] / scale - mean[c]) / std[c]
  return out
}
const inputs = await Promise.all(names.map((n) => tensorOf(join(imagesDir, n))))
const batch = new Float32Array(inputs.length * 3 * H * W)
inputs.forEach((t, i) => batch.set(t, i * t.length))

const pct = (a, p) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.ceil(p * a.length) - 1)]
const results = {}
for (const provider of list.split(',')) {
  try {
    const t0 = performance.now()
    const session = await ort.InferenceSession.create(join(modelDir, 'model.onnx'), { executionProviders: [provider] })
    const loadMs = performance.now() - t0
    const feeds = (data, n) => ({ [manifest.input.name]: new ort.Tensor('float32', data, [n, 3, H, W]) })
    const t1 = performance.now()
    const out = await session.run(feeds(batch, inputs.length))
    const firstRunMs = performance.now() - t1
    const b1 = []
    for (let i = 0; i < 30; i++) {
      const s = performance.now()
      await session.run(feeds(inputs[i % inputs.length], 1))
      b1.push(performance.now() - s)
    }
    const b8 = []
    for (let i = 0; i < 10; i++) {
      const s = performance.now()
      await session.run(feeds(batch, inputs.length))
      b8.push((performance.now() - s) / inputs.length)
    }
    results[provider] = {
      ok: true,
      load_ms: Math.round(loadMs),
      first_run_ms: Math.round(firstRunMs),
      b1_ms_p50: +pct(b1, 0.5).toFixed(2),
      b1_ms_p95: +pct(b1, 0.95).toFixed(2),
      b8_ms_per_image_p50: +pct(b8, 0.5).toFixed(2),
      logits: Array.from(out[manifest.outputs.logits.name].data),
      features: out[manifest.outputs.features.name].data,
    }
    await session.release()
  } catch (error) {
    results[provider] = { ok: false, error: String(error.message ?? error).split('\n')[0] }
  }
}
const cpu = results.cpu
const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0)
for (const [name, r] of Object.entries(results)) {
  if (r.ok && cpu?.ok && name !== 'cpu') {
    r.logits_max_abs_diff_vs_cpu = maxDiff(r.logits, cpu.logits)
    r.features_max_abs_diff_vs_cpu = maxDiff(r.features, cpu.features)
    r.features_max_abs_cpu = cpu.features.reduce((m, v) => Math.max(m, Math.abs(v)), 0)
  }
}
for (const r of Object.values(results)) {
  delete r.logits
  delete r.features
}
console.log(JSON.stringify({ model: manifest.id, images: names.length, input: [H, W], results }))
