/**
 * One resampler for training and serving: `cxr-lens preprocess` writes the engine's own model-input
 * pixels, and training/reference/common.py's loader (through dump_tensor.py, numpy only) reads back
 * exactly the tensor the engine feeds the network for the same file.
 */
import { execFile, execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeNpy, encodeNpy } from '../../src/main/explain/npy'
import type { ModelManifest } from '../../src/main/model/manifest'
import { loadModelPackage } from '../../src/main/model/modelPackage'
import { modelInputPixels, normalizeModelInput, type ModelInputPixels } from '../../src/main/model/modelInputs'
import { preprocessImage } from '../../src/main/model/preprocess'
import { HAS_NIH, NIH_1024, NIH_256, REFERENCE_MODEL_DIR, tempDir } from './helpers'
import { CLI } from './builtCli'

const run = promisify(execFile)
const REPO = resolve(__dirname, '../..')
const PYTHON = '/usr/bin/python3'
const DUMP = join(REPO, 'training/reference/dump_tensor.py')

/** The loader needs numpy only; without it the python half is skipped (and says so), never passed. */
function pythonWithNumpy(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
const HAS_NUMPY = pythonWithNumpy()

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args])
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')
const bytesOf = (a: Uint8Array | Float32Array | Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
const firstChannel = (p: ModelInputPixels) => p.data.subarray(0, p.shape[1] * p.shape[2])

describe.runIf(HAS_NIH)('one resampler: cxr-lens preprocess and the training loader', () => {
  const dir = tempDir('cxr-resampler-')
  afterAll(dir.cleanup)
  const images = join(dir.path, 'images')
  const out = join(dir.path, 'tensors')
  const dataDir = join(dir.path, 'data')
  let manifest: ModelManifest
  // Each source the training pipeline or the app meets: 256² NIH files (what training reads), a
  // 1024² original (a longer downscale) and a 16-bit PNG (the DICOM-derived kind; float32 pixels).
  const cases: Array<{ name: string; path: string }> = []
  const expected = new Map<string, { pixels: ModelInputPixels; engine: Float32Array }>()
  let result: { code: number; stdout: string; stderr: string }

  beforeAll(async () => {
    manifest = loadModelPackage(REFERENCE_MODEL_DIR).manifest
    mkdirSync(images)
    const small = readdirSync(NIH_256).sort().slice(0, 3)
    for (const name of small) symlinkSync(join(NIH_256, name), join(images, name))
    const large = readdirSync(NIH_1024).sort()[5]
    symlinkSync(join(NIH_1024, large), join(images, `big-${large}`))
    // Not a copy of the data: a synthetic 16-bit image derived from one, with low bits set so the
    // × 255/65535 step leaves fractions (float32 tensors).
    const { data, info } = await sharp(join(NIH_256, small[0])).greyscale().raw().toBuffer({ resolveWithObject: true })
    const wide = new Uint16Array(data.length)
    for (let i = 0; i < data.length; i++) wide[i] = data[i] * 257 + (i % 97)
    await sharp(Buffer.from(wide.buffer), { raw: { width: info.width, height: info.height, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toFile(join(images, 'wide16.png'))
    writeFileSync(join(images, 'broken.png'), readFileSync(join(NIH_256, small[1])).subarray(0, 400))
    for (const name of [...small, `big-${large}`, 'wide16.png']) cases.push({ name, path: join(images, name) })
    for (const c of cases) {
      expected.set(c.name, {
        pixels: await modelInputPixels(c.path, manifest, c.name),
        engine: await preprocessImage(c.path, manifest, c.name),
      })
    }
    writeFileSync(join(dir.path, 'list.txt'), ['# the cases, then a broken file', ...cases.map((c) => c.name), 'broken.png', ''].join('\n'))
    result = await cli([
      'preprocess',
      '--images',
      images,
      '--list',
      join(dir.path, 'list.txt'),
      '--out',
      out,
      '--data-dir',
      dataDir,
      '--json',
    ])
  }, 120_000)

  it("normalising the pixels is the engine's input tensor, bit for bit for 8-bit sources", () => {
    for (const c of cases) {
      const { pixels, engine } = expected.get(c.name)!
      expect(pixels.shape).toEqual([3, manifest.input.height, manifest.input.width])
      const normalized = normalizeModelInput(pixels, manifest)
      if (c.name === 'wide16.png') {
        expect(pixels.data).toBeInstanceOf(Float32Array)
        // one float32 rounding of the 8-bit-scale value sits between the two paths
        expect(Math.max(...normalized.map((v, i) => Math.abs(v - engine[i])))).toBeLessThan(1e-6)
      } else {
        expect(pixels.data).toBeInstanceOf(Uint8Array)
        expect(sha256(bytesOf(normalized))).toBe(sha256(bytesOf(engine)))
      }
    }
  })

  it('writes every image as <image>.npy with the pixels the engine computes, and names the broken file (exit 3)', () => {
    expect(result.code, result.stderr).toBe(3)
    const summary = JSON.parse(result.stdout) as { written: number; failed: Array<{ image: string; error: string }>; shape: number[] }
    expect(summary.written).toBe(cases.length)
    expect(summary.shape).toEqual([3, manifest.input.height, manifest.input.width])
    expect(summary.failed).toHaveLength(1)
    expect(summary.failed[0].image).toBe('broken.png')
    expect(summary.failed[0].error).toMatch(/^broken\.png: cannot be prepared for the model/)
    const index = JSON.parse(readFileSync(join(out, 'tensors.json'), 'utf8'))
    expect(index).toMatchObject({ normalized: false, layout: 'CHW', model: { id: manifest.id, version: manifest.version } })
    expect(index.images.map((e: { image: string }) => e.image)).toEqual(cases.map((c) => c.name))
    for (const c of cases) {
      const { data, shape } = decodeNpy(readFileSync(join(out, `${c.name}.npy`)))
      const { pixels } = expected.get(c.name)!
      expect(shape).toEqual(pixels.shape)
      expect(data.constructor).toBe(pixels.data.constructor)
      expect(sha256(bytesOf(data))).toBe(sha256(bytesOf(pixels.data)))
    }
  })

  it.skipIf(!HAS_NUMPY)(`the training loader reads back exactly the engine's tensor (needs ${PYTHON} with numpy)`, async () => {
    for (const c of cases) {
      const { pixels, engine } = expected.get(c.name)!
      const enginePath = join(dir.path, `${c.name}.engine.npy`)
      writeFileSync(enginePath, encodeNpy(engine, pixels.shape))
      const { stdout } = await run(PYTHON, [DUMP, out, c.name, '--engine', enginePath], { cwd: join(REPO, 'training/reference') })
      const dumped = JSON.parse(stdout) as { sha256: string; shape: number[]; dtype: string; engine_max_abs_diff: number }
      expect(dumped.shape).toEqual(pixels.shape.slice(1))
      expect(dumped.dtype).toBe(pixels.data instanceof Uint8Array ? 'uint8' : 'float32')
      expect(dumped.sha256, c.name).toBe(sha256(bytesOf(firstChannel(pixels))))
      if (c.name === 'wide16.png') expect(dumped.engine_max_abs_diff).toBeLessThan(1e-6)
      else expect(dumped.engine_max_abs_diff, c.name).toBe(0)
    }
  })

  it.skipIf(!HAS_NUMPY)('the loader refuses tensors of another size, naming the folder and both sizes', async () => {
    const script = `from common import load_images; load_images(["${cases[0].name}"], 224, tensors=${JSON.stringify(out)})`
    const failure = await run(PYTHON, ['-c', script], { cwd: join(REPO, 'training/reference') }).catch((e: { stderr: string }) => e)
    expect((failure as { stderr: string }).stderr).toContain(
      `${out}: tensors are 192x192 (${manifest.id} ${manifest.version}), this run needs 224x224`,
    )
  })

  it('refuses a list naming a file outside the images folder, before writing anything', async () => {
    writeFileSync(join(dir.path, 'hostile.txt'), `${cases[0].name}\n../data/vault.key\n`)
    const hostileOut = join(dir.path, 'hostile-out')
    const { code, stderr } = await cli([
      'preprocess',
      '--images',
      images,
      '--list',
      join(dir.path, 'hostile.txt'),
      '--out',
      hostileOut,
      '--data-dir',
      dataDir,
    ])
    expect(code).toBe(1)
    expect(stderr).toContain('hostile.txt, line 2: "../data/vault.key" is not a plain image file name')
    expect(existsSync(hostileOut)).toBe(false)
  })
})
