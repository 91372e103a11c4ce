/**
 * The child process of tests/unit/webgpuEngine.test.ts: the engine's default provider chain (no
 * CXR_LENS_PROVIDER, no remembered failures) on the reference model, in a process whose Vulkan loader
 * was pointed at a software driver by the parent. Prints one JSON line: the provider that ran, every
 * attempt, and per image the probabilities and every finding's Grad-CAM map.
 *
 *   node --import tsx webgpuChild.ts MODEL_DIR IMAGE…
 */
import { camForAllClasses } from '../../src/main/explain/camMethods'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import { loadModelPackage } from '../../src/main/model/modelPackage'
import { preprocessImage } from '../../src/main/model/preprocess'

async function main(): Promise<void> {
  const [modelDir, ...images] = process.argv.slice(2)
  const pkg = loadModelPackage(modelDir)
  const engine = new InferenceEngine({ memory: null })
  try {
    const tensors = await Promise.all(images.map((image) => preprocessImage(image, pkg.manifest)))
    const batch = new Float32Array(tensors.length * tensors[0].length)
    tensors.forEach((t, i) => batch.set(t, i * t.length))
    // one batch: each new shape costs SwiftShader a round of shader compilation
    const out = await engine.run(pkg, batch, images.length)
    const { attempts } = await engine.session(pkg)
    const [K, h, w] = pkg.manifest.outputs.features.shape
    const classes = pkg.manifest.findings.length
    const cases = []
    for (let i = 0; i < images.length; i++) {
      const data = out.features.slice(i * K * h * w, (i + 1) * K * h * w)
      const cam = await camForAllClasses('gradcam', { data, channels: K, height: h, width: w }, pkg.head)
      cases.push({
        probabilities: Array.from(out.probabilities.subarray(i * classes, (i + 1) * classes)),
        maps: cam.maps.map((m) => Array.from(m)),
      })
    }
    console.log(JSON.stringify({ provider: out.provider, attempts, cases }))
  } finally {
    await engine.close()
  }
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message)
  process.exit(1)
})
