import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { camForAllClasses } from '../../src/main/explain/camMethods'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import { loadModelPackage } from '../../src/main/model/modelPackage'
import { preprocessImage } from '../../src/main/model/preprocess'

/**
 * onnxruntime's WebGPU provider (Dawn on Vulkan) on a machine without a GPU: Chromium ships
 * SwiftShader, a Vulkan driver that runs on the CPU, which Dawn accepts (Mesa's lavapipe it rejects).
 * So the real WebGPU code path (the provider chain choosing it, the WGSL kernels, reading the outputs
 * back) runs here, slowly: this checks correctness, never speed. The child process gets the driver
 * through VK_ICD_FILENAMES (the Vulkan loader reads it at start); this process stays on the CPU.
 */
const ROOT = resolve(__dirname, '../..')
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json'
const MODEL = join(ROOT, 'resources/models/cxr-mobilenet-v1')
const NIH = resolve(ROOT, '../shared/data/nih/images-256')
/** Few images, one batch: SwiftShader takes seconds of CPU per image and compiles shaders per shape. */
const IMAGES = 3

interface ChildResult {
  provider: string
  attempts: Array<{ provider: string; ok: boolean; reason?: string }>
  cases: Array<{ probabilities: number[]; maps: number[][] }>
}

function runChild(images: string[]): Promise<ChildResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' }
  delete env.CXR_LENS_PROVIDER
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'webgpuChild.ts'), MODEL, ...images], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d))
  child.stderr.on('data', (d: Buffer) => (err += d))
  return new Promise((resolveRun, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? ''
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`webgpu child exited ${code}: ${err.slice(-2000)}`))
      else resolveRun(JSON.parse(line) as ChildResult)
    })
  })
}

const present = existsSync(SWIFTSHADER) && existsSync(NIH)
if (!present)
  console.warn(
    `webgpuEngine.test.ts skipped: ${existsSync(SWIFTSHADER) ? NIH : SWIFTSHADER} is absent (Debian's chromium package ships SwiftShader's Vulkan driver; .ci/run installs it)`,
  )

describe.skipIf(!present)('the WebGPU provider on SwiftShader (software Vulkan) against the CPU', () => {
  const cpu = new InferenceEngine({ providers: ['cpu'], threads: 1, memory: null })
  afterAll(() => cpu.close())

  it(
    'the default chain picks webgpu and reports it; probabilities within 1e-4 and Grad-CAM maps within 1e-3 of the CPU',
    async () => {
      const images = readdirSync(NIH)
        .filter((n) => n.endsWith('.png'))
        .sort()
        .slice(0, IMAGES)
        .map((n) => join(NIH, n))
      const gpu = await runChild(images)
      expect(gpu.provider).toBe('webgpu')
      expect(gpu.attempts.at(-1)).toEqual({ provider: 'webgpu', ok: true })
      expect(gpu.attempts.filter((a) => a.provider !== 'cuda')).toEqual([{ provider: 'webgpu', ok: true }])

      const pkg = loadModelPackage(MODEL)
      const [K, h, w] = pkg.manifest.outputs.features.shape
      expect(gpu.cases).toHaveLength(images.length)
      let worstProbability = 0
      let worstMap = 0
      for (const [i, image] of images.entries()) {
        const out = await cpu.run(pkg, await preprocessImage(image, pkg.manifest), 1)
        expect(out.provider).toBe('cpu')
        const cam = await camForAllClasses('gradcam', { data: out.features, channels: K, height: h, width: w }, pkg.head)
        const ours = gpu.cases[i]
        expect(ours.probabilities).toHaveLength(pkg.manifest.findings.length)
        for (const [c, p] of out.probabilities.entries()) worstProbability = Math.max(worstProbability, Math.abs(p - ours.probabilities[c]))
        for (const [c, map] of cam.maps.entries()) {
          // a map's units are arbitrary: compared on the scale it is shown at (its largest cell)
          const scale = Math.max(...map)
          expect(ours.maps[c]).toHaveLength(map.length)
          if (scale > 0) for (const [j, v] of map.entries()) worstMap = Math.max(worstMap, Math.abs(v - ours.maps[c][j]) / scale)
          else expect(Math.max(...ours.maps[c])).toBeLessThanOrEqual(1e-6)
        }
      }
      console.log(
        `webgpu (SwiftShader) vs cpu on ${images.length} NIH images: max |Δp| ${worstProbability.toExponential(2)}, max |Δmap|/max ${worstMap.toExponential(2)}`,
      )
      expect(worstProbability).toBeLessThanOrEqual(1e-4)
      expect(worstMap).toBeLessThanOrEqual(1e-3)
    },
    // SwiftShader runs every kernel on the CPU: about 35 s of CPU time (its child), 250 s of wall
    // time on 2 cores shared by a load average of 17; the limit is for such machines
    600_000,
  )
})
