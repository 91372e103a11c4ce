/**
 * The model-input cache (cases/modelInputCache.ts): the import keeps the default model's resampled
 * input of each image, and analysis reads it instead of decoding the image. The results must be the
 * ones decoding gives, bit for bit: the tensors, the probabilities and every Grad-CAM map.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { analyzeCases } from '../../src/main/analysis/analysisService'
import { drainQueue } from '../../src/main/analysis/backgroundRunner'
import { decodeImage } from '../../src/main/cases/imageIntake'
import { decodeModelInput, encodeModelInput, ModelInputCache, modelInputKey } from '../../src/main/cases/modelInputCache'
import { importNih } from '../../src/main/cases/nihImporter'
import { DataFolder } from '../../src/main/config/dataFolder'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import { normalizeResampled, preprocessImage, type PreprocessSpec } from '../../src/main/model/preprocess'
import { ModelRegistry } from '../../src/main/registry/modelRegistry'
import { CaseStore } from '../../src/main/store/caseStore'
import { HAS_NIH, imageFolder, LABELS_CSV, NIH_1024, REFERENCE_MODEL_DIR, tempDir } from './helpers'

const manifest = () => JSON.parse(readFileSync(join(REFERENCE_MODEL_DIR, 'manifest.json'), 'utf8'))
const specOf = (m: PreprocessSpec): PreprocessSpec => ({ input: m.input, preprocess: m.preprocess })

function specVariant(base: PreprocessSpec, change: { channels?: 'gray' | 'rgb'; resize?: 'stretch' | 'pad'; layout?: 'NCHW' | 'NHWC' }) {
  return {
    input: { ...base.input, ...(change.channels && { channels: change.channels }), ...(change.layout && { layout: change.layout }) },
    preprocess: { ...base.preprocess, ...(change.resize && { resize: change.resize }) },
  } as PreprocessSpec
}

/** First index where two arrays differ, or -1: a failing test says where. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length)
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i
  return -1
}

const names = () =>
  readdirSync(NIH_1024)
    .filter((n) => n.endsWith('.png'))
    .sort()

describe.skipIf(!HAS_NIH)('model inputs kept by the import', () => {
  it('an imported image’s kept input is the tensor decoding its file gives, for every kind of image and spec', async () => {
    const base = specOf(manifest())
    // names()[1]: a grey one (the first of the 50 is RGBA, which the variants below cover)
    const nih = readFileSync(join(NIH_1024, names()[1]))
    const images: Array<[string, Buffer]> = [
      ['8-bit gray PNG (NIH)', nih],
      ['8-bit gray PNG, not square', await sharp(nih).resize(900, 1000).png().toBuffer()],
      ['8-bit gray PNG, 192²', await sharp(nih).resize(192, 192).png().toBuffer()],
      ['8-bit RGBA PNG', await sharp(nih).resize(700, 600).ensureAlpha().png().toBuffer()],
      ['8-bit RGB PNG of a grey image, square', await sharp(nih).resize(1024, 1024).toColourspace('srgb').png().toBuffer()],
      ['8-bit RGB PNG in colour, square', await sharp(nih).resize(512, 512).tint('#d08040').png().toBuffer()],
      ['8-bit RGBA PNG, square', await sharp(nih).resize(600, 600).ensureAlpha().png().toBuffer()],
      ['8-bit gray+alpha PNG', await sharp(nih).resize(300, 500).ensureAlpha().toColourspace('b-w').png().toBuffer()],
      ['palette PNG', await sharp(nih).resize(400, 400).png({ palette: true, colours: 64 }).toBuffer()],
      ['16-bit gray PNG', await sharp(nih).resize(900, 800).toColourspace('grey16').png().toBuffer()],
      ['JPEG', await sharp(nih).jpeg({ quality: 90 }).toBuffer()],
    ]
    const specs = [
      base,
      specVariant(base, { channels: 'gray' }),
      specVariant(base, { resize: 'pad' }),
      specVariant(base, { layout: 'NHWC', channels: 'rgb' }),
    ]
    for (const [what, bytes] of images) {
      const thumbnail = (await decodeImage(bytes, what)).thumbnail
      for (const spec of specs) {
        const decoded = await decodeImage(bytes, what, spec)
        // Decoded once for both, the thumbnail is the one a plain decode makes.
        expect(firstDifference(decoded.thumbnail.data, thumbnail.data), `${what}: thumbnail`).toBe(-1)
        expect(decoded.modelInput, what).not.toBeNull()
        const kept = decodeModelInput(encodeModelInput(decoded.modelInput!))!
        const fromCache = normalizeResampled(kept, spec)
        const fromFile = await preprocessImage(bytes, spec, what)
        expect(firstDifference(fromCache, fromFile), `${what}, ${spec.input.channels} ${spec.preprocess.resize} ${spec.input.layout}`).toBe(
          -1,
        )
      }
    }
  })

  it('a gray image for an RGB model is kept as one plane (a few tens of KB); the key changes with what decides the pixels', async () => {
    const spec = specOf(manifest())
    const decoded = await decodeImage(readFileSync(join(NIH_1024, names()[1])), 'x', spec)
    const file = encodeModelInput(decoded.modelInput!)
    expect(file.length).toBe(16 + spec.input.width * spec.input.height)
    expect(modelInputKey(spec)).toMatch(/^[0-9a-f]{16}$/)
    expect(modelInputKey(specVariant(spec, { channels: 'gray' }))).not.toBe(modelInputKey(spec))
    expect(modelInputKey(specVariant(spec, { resize: 'pad' }))).not.toBe(modelInputKey(spec))
    expect(modelInputKey({ ...spec, input: { ...spec.input, width: spec.input.width + 32 } })).not.toBe(modelInputKey(spec))
    // Normalization and layout are applied when read: a model differing only there reads the same file.
    expect(modelInputKey({ ...spec, preprocess: { ...spec.preprocess, normalization: { scale: 1, mean: [0], std: [1] } } })).toBe(
      modelInputKey(spec),
    )
    expect(decodeModelInput(file.subarray(0, file.length - 1))).toBeNull()
    expect(decodeModelInput(new Uint8Array(40))).toBeNull()
  })

  describe('import, then analysis from the kept inputs and from decoding', () => {
    const dir = tempDir('cxr-model-inputs-')
    const folder = new DataFolder(dir.path)
    const store = CaseStore.open(folder.database)
    const registry = new ModelRegistry(store, folder.models)
    const engine = new InferenceEngine({ providers: ['cpu'], threads: 1 })
    const chosen = names().slice(0, 4)
    let imagesDir = ''

    beforeAll(async () => {
      imagesDir = imageFolder(dir.path, NIH_1024, chosen)
      await importNih(store, { imagesDir, labelsCsv: LABELS_CSV })
    })
    afterAll(async () => {
      await engine.close()
      store.close()
      dir.cleanup()
    })

    it('the import keeps one file per image for the default model, pixels only, holding what decoding gives', async () => {
      const pkg = registry.get().pkg
      expect(pkg.manifest.id).toBe(manifest().id)
      const spec = specOf(pkg.manifest)
      const cache = new ModelInputCache(folder.modelInputs)
      const files = readdirSync(folder.modelInputs)
      expect(files.length).toBe(chosen.length)
      for (const id of store.worklist.matchingIds({})) {
        const record = store.cases.get(id)!
        expect(files).toContain(`${record.sha256}-${modelInputKey(spec)}.bin`)
        // Pixels only: the file is named by the hash and holds no image name.
        expect(readFileSync(cache.fileOf(record.sha256, spec)).includes(Buffer.from(record.imageName.replace('.png', '')))).toBe(false)
        const kept = await cache.tensor(record.sha256, spec)
        expect(firstDifference(kept!, await preprocessImage(record.path, spec))).toBe(-1)
      }
    })

    it('probabilities and every Grad-CAM map are the same from the kept inputs as from decoding (CLI path and background path)', async () => {
      const ids = store.worklist.matchingIds({})
      const pkg = registry.get().pkg
      const { id: modelId, version } = pkg.manifest
      const snapshot = () =>
        ids.map((id) => ({
          predictions: store.results.predictions(id, modelId, version),
          maps: pkg.manifest.findings.map((f) => Array.from(store.results.heatmap(id, modelId, version, f, 'gradcam')!.data)),
        }))
      // With the images moved away, only the kept inputs can answer: a decode would fail the case.
      renameSync(imagesDir, `${imagesDir}-away`)
      const cached = await analyzeCases({ store, registry, engine }, { caseIds: ids, methods: ['gradcam'] })
      expect(cached.cases.length).toBe(ids.length)
      const fromCache = snapshot()
      store.transaction(() => store.queue.enqueue(ids, { modelId, modelVersion: version, method: 'gradcam' }))
      await drainQueue({ store, registry, engine }, { focus: () => null, halted: () => false })
      expect(store.queue.counts()).toMatchObject({ pending: 0, failed: 0 })
      expect(snapshot()).toEqual(fromCache)

      // The cache gone: both paths decode the images, and store the same numbers.
      renameSync(`${imagesDir}-away`, imagesDir)
      rmSync(folder.modelInputs, { recursive: true })
      await analyzeCases({ store, registry, engine }, { caseIds: ids, methods: ['gradcam'] })
      expect(snapshot()).toEqual(fromCache)
      store.transaction(() => store.queue.enqueue(ids, { modelId, modelVersion: version, method: 'gradcam' }))
      await drainQueue({ store, registry, engine }, { focus: () => null, halted: () => false })
      expect(snapshot()).toEqual(fromCache)
      expect(existsSync(folder.modelInputs)).toBe(false)
    })

    it('a damaged kept file is a miss (removed, the image decoded), never a failed case', async () => {
      const id = store.worklist.matchingIds({})[0]
      const record = store.cases.get(id)!
      const pkg = registry.get().pkg
      const spec = specOf(pkg.manifest)
      const cache = new ModelInputCache(folder.modelInputs)
      const decoded = await decodeImage(readFileSync(record.path), record.imageName, spec)
      await cache.put(record.sha256, spec, decoded.modelInput!)
      const file = cache.fileOf(record.sha256, spec)
      writeFileSync(file, readFileSync(file).subarray(0, 100))
      expect(await cache.tensor(record.sha256, spec)).toBeNull()
      expect(existsSync(file)).toBe(false)
      const result = await analyzeCases({ store, registry, engine }, { caseIds: [id], methods: ['gradcam'] })
      expect(result.cases.length).toBe(1)
      expect(() => cache.fileOf('../../etc/passwd', spec)).toThrow(/not a SHA-256/)
    })
  })
})
