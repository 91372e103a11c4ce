import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { Worker } from 'node:worker_threads'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { drainQueue } from '../../src/main/analysis/backgroundRunner'
import { analyzeCases } from '../../src/main/analysis/analysisService'
import { importNih } from '../../src/main/cases/nihImporter'
import { DecoderProcess } from '../../src/main/jobs/backgroundDecoderClient'
import { lowerThreadPriority } from '../../src/main/jobs/backgroundPriority'
import { ResultsCoalescer } from '../../src/main/jobs/backgroundResults'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import { loadModelPackage } from '../../src/main/model/modelPackage'
import { preprocessImage } from '../../src/main/model/preprocess'
import { ModelRegistry } from '../../src/main/registry/modelRegistry'
import { CaseStore } from '../../src/main/store/caseStore'
import type { BackgroundResults } from '../../src/shared/background'
import { BOXES_CSV, HAS_NIH, imageFolder, LABELS_CSV, NIH_1024, NIH_256, REFERENCE_MODEL_DIR, tempDir } from './helpers'

const pkg = loadModelPackage(REFERENCE_MODEL_DIR)
const spec = { input: pkg.manifest.input, preprocess: pkg.manifest.preprocess }
const bytes = (t: Float32Array) => Buffer.from(t.buffer, t.byteOffset, t.byteLength)
const pngs = (dir: string, n: number) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.png'))
    .sort()
    .slice(0, n)

describe.skipIf(!HAS_NIH)('the background decoder process', () => {
  const dir = tempDir()
  const decoder = new DecoderProcess()
  afterAll(async () => {
    await decoder.close()
    dir.cleanup()
  })

  it('gives exactly the tensors preprocessImage gives in process (8-bit 1024² and 256² NIH PNGs, a 16-bit PNG)', async () => {
    const wide = join(dir.path, 'wide16.png')
    const ramp = Uint16Array.from({ length: 300 * 200 }, (_, i) => (i * 977) % 65536)
    writeFileSync(
      wide,
      await sharp(ramp, { raw: { width: 300, height: 200, channels: 1 } })
        .toColourspace('grey16')
        .png()
        .toBuffer(),
    )
    const images = [
      ...pngs(NIH_1024, 3).map((n) => ({ path: join(NIH_1024, n), name: n })),
      ...pngs(NIH_256, 2).map((n) => ({ path: join(NIH_256, n), name: n })),
      { path: wide, name: 'wide16.png' },
    ]
    // Several at once, paced up and down meanwhile: each answer is its own image's.
    decoder.pace(2)
    const separate = await Promise.all(images.map((image) => decoder.decode(image, spec)))
    decoder.pace(1)
    expect(decoder.separate).toBe(true)
    for (let i = 0; i < images.length; i++) {
      const local = await preprocessImage(images[i].path, pkg.manifest, images[i].name)
      expect(separate[i].length).toBe(3 * 192 * 192)
      expect(bytes(separate[i]).equals(bytes(local)), images[i].name).toBe(true)
    }
  })

  it.skipIf(process.platform !== 'linux')(
    'runs below the UI: every thread of the decoder process, libvips’ included, at nice ≥ 10',
    async () => {
      decoder.pace(2)
      await Promise.all(pngs(NIH_1024, 2).map((name) => decoder.decode({ path: join(NIH_1024, name), name }, spec)))
      decoder.pace(1)
      const pid = decoder.pid!
      expect(pid).toBeGreaterThan(0)
      const tasks = readdirSync(`/proc/${pid}/task`)
      expect(tasks.length).toBeGreaterThan(1)
      // The decode threads (libuv's pool, made after the process lowered itself) ran the images above.
      const nice = (tid: string) => {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])
      }
      const names = (tid: string) => readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim()
      expect(nice(String(pid))).toBeGreaterThanOrEqual(10)
      const pool = tasks.filter((t) => /libuv|vips|worker/i.test(names(t)))
      expect(pool.length).toBeGreaterThan(0)
      for (const t of pool) expect(nice(t), names(t)).toBeGreaterThanOrEqual(10)
    },
  )

  it('fails a missing or corrupt file with a reason naming it, and keeps serving the next image', async () => {
    const broken = join(dir.path, 'broken.png')
    writeFileSync(broken, Buffer.from('\x89PNG\r\n\x1a\nnot really a png'))
    await expect(decoder.decode({ path: join(dir.path, 'gone.png'), name: 'gone.png' }, spec)).rejects.toThrow(
      /gone\.png.*(ENOENT|no such file)/,
    )
    await expect(decoder.decode({ path: broken, name: 'broken.png' }, spec)).rejects.toThrow(
      /broken\.png: cannot be prepared for the model/,
    )
    const name = pngs(NIH_256, 1)[0]
    expect(await decoder.decode({ path: join(NIH_256, name), name }, spec)).toHaveLength(3 * 192 * 192)
    expect(decoder.separate).toBe(true)
  })

  it('a decoder process that dies hands its images to in-process decoding: the same tensors, no case failed for it', async () => {
    // A stand-in process that exits without answering, as a decoder that crashed would.
    const dying = new DecoderProcess(() =>
      spawn(process.execPath, ['-e', 'setTimeout(() => process.exit(3), 50)'], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] }),
    )
    const name = pngs(NIH_1024, 1)[0]
    const image = { path: join(NIH_1024, name), name }
    const held = await dying.decode(image, spec)
    expect(dying.separate).toBe(false)
    const local = await preprocessImage(image.path, pkg.manifest, name)
    expect(bytes(held).equals(bytes(local))).toBe(true)
    // Later images decode in process too.
    expect(bytes(await dying.decode(image, spec)).equals(bytes(local))).toBe(true)
    await dying.close()
  })
})

describe.skipIf(!HAS_NIH)('background analysis gives what the CLI’s explain --all gives', () => {
  const dir = tempDir()
  const store = CaseStore.open(join(dir.path, 'cxr-lens.sqlite'))
  const registry = new ModelRegistry(store, join(dir.path, 'models'))
  // As the CLI runs (all cores, batches of 8) and as the background worker runs (one thread, batches of 4, its decoder process).
  const cliEngine = new InferenceEngine({ providers: ['cpu'] })
  const backgroundEngine = new InferenceEngine({ providers: ['cpu'], threads: 1 })
  const decoder = new DecoderProcess()

  beforeAll(async () => {
    const root = join(dir.path, 'nih')
    const imagesDir = imageFolder(root, NIH_1024, pngs(NIH_1024, 6))
    await importNih(store, { imagesDir, labelsCsv: LABELS_CSV, boxesCsv: BOXES_CSV })
  })
  afterAll(async () => {
    await decoder.close()
    await cliEngine.close()
    await backgroundEngine.close()
    store.close()
    dir.cleanup()
  })

  it('the same probabilities and every finding’s Grad-CAM for each case', async () => {
    const { id, version, findings } = pkg.manifest
    const caseIds = store.worklist.matchingIds({})
    expect(caseIds).toHaveLength(6)
    const cli = await analyzeCases({ store, registry, engine: cliEngine }, { caseIds, model: id, version, methods: ['gradcam'] })
    expect(cli.cases).toHaveLength(6)
    const cliMaps = new Map(caseIds.map((c) => [c, findings.map((f) => store.results.heatmap(c, id, version, f, 'gradcam')!)]))
    const cliProbabilities = new Map(cli.cases.map((c) => [c.caseId, c.probabilities]))

    store.transaction(() => store.queue.enqueue(caseIds, { modelId: id, modelVersion: version, method: 'gradcam' }))
    const published: BackgroundResults[] = []
    const finished = await drainQueue(
      { store, registry, engine: backgroundEngine, decoder },
      { focus: () => caseIds[3], halted: () => false },
      { onResults: (r) => published.push(r) },
      4,
    )
    expect(finished).toBe(6)
    expect(decoder.separate).toBe(true)
    expect(store.queue.counts()).toMatchObject({ pending: 0, running: 0, done: 6, failed: 0 })
    // The open case was answered first, on its own.
    expect(published[0].cases.map((c) => c.caseId)).toEqual([caseIds[3]])

    let worstProbability = 0
    let worstMap = 0
    for (const caseId of caseIds) {
      const stored = Object.fromEntries(store.results.predictions(caseId, id, version).map((p) => [p.finding, p.probability]))
      for (const f of findings) worstProbability = Math.max(worstProbability, Math.abs(stored[f] - cliProbabilities.get(caseId)![f]))
      findings.forEach((f, k) => {
        const background = store.results.heatmap(caseId, id, version, f, 'gradcam')!
        const before = cliMaps.get(caseId)![k]
        expect(background.id).not.toBe(before.id) // a new row: the background run really stored its own map
        expect([background.width, background.height]).toEqual([before.width, before.height])
        const scale = Math.max(1e-12, ...Array.from(before.data, Math.abs))
        for (let i = 0; i < before.data.length; i++) worstMap = Math.max(worstMap, Math.abs(background.data[i] - before.data[i]) / scale)
      })
    }
    // The same input tensors; only onnxruntime's thread count and batch size differ (its kernels may sum in another order).
    expect(worstProbability).toBeLessThan(1e-5)
    expect(worstMap).toBeLessThan(1e-4)
  }, 180_000)
})

describe('background results on their way to the windows', () => {
  const head = { model: { id: 'm', version: '1' }, method: 'gradcam' as const }
  const one = (caseId: number, p = 0.5) => ({ caseId, topFindings: [{ finding: 'Effusion', probability: p }], ood: null })

  it('sends the first report at once, gathers the rest into one report per interval, each case once (its latest), and flushes on demand', () => {
    let now = 1000
    const sent: BackgroundResults[] = []
    const coalescer = new ResultsCoalescer(
      250,
      (r) => sent.push(r),
      () => now,
    )
    coalescer.add({ ...head, cases: [one(1)] })
    expect(sent).toHaveLength(1)
    now += 50
    coalescer.add({ ...head, cases: [one(2), one(3)] })
    coalescer.add({ ...head, cases: [one(2, 0.9)] })
    coalescer.add({ model: { id: 'm', version: '2' }, method: 'gradcam', cases: [one(7)] })
    expect(sent).toHaveLength(1)
    coalescer.flush()
    expect(sent).toHaveLength(3)
    expect(sent[1]).toEqual({ ...head, cases: [one(3), one(2, 0.9)] })
    expect(sent[2].model.version).toBe('2')
    coalescer.flush()
    expect(sent).toHaveLength(3)
  })

  it('a held report goes out by itself when its interval ends', async () => {
    const sent: BackgroundResults[] = []
    const coalescer = new ResultsCoalescer(30, (r) => sent.push(r))
    coalescer.add({ ...head, cases: [one(1)] })
    coalescer.add({ ...head, cases: [one(2)] })
    expect(sent).toHaveLength(1)
    await new Promise((r) => setTimeout(r, 120))
    expect(sent.map((r) => r.cases.map((c) => c.caseId))).toEqual([[1], [2]])
  })
})

describe('background thread priority', () => {
  it('is lowered only where it touches the calling thread alone (Linux)', () => {
    expect(lowerThreadPriority('darwin')).toBe(false)
    expect(lowerThreadPriority('win32')).toBe(false)
  })

  it.skipIf(process.platform !== 'linux')('on Linux lowers the worker thread that asks and not the main thread', async () => {
    const { getPriority } = await import('node:os')
    const before = getPriority(0)
    const source = `
      const { parentPort } = require('node:worker_threads')
      require('tsx/cjs')
      const { lowerThreadPriority } = require(${JSON.stringify(join(__dirname, '../../src/main/jobs/backgroundPriority.ts'))})
      const lowered = lowerThreadPriority()
      parentPort.postMessage({ lowered, nice: require('node:os').getPriority(0) })`
    const answer = await new Promise<{ lowered: boolean; nice: number }>((resolve, reject) => {
      const worker = new Worker(source, { eval: true })
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    expect(answer.lowered).toBe(true)
    expect(answer.nice).toBeGreaterThanOrEqual(10)
    expect(getPriority(0)).toBe(before)
  })
})
