import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { importNih } from '../../src/main/cases/nihImporter'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import { ModelRegistry } from '../../src/main/registry/modelRegistry'
import { CaseStore } from '../../src/main/store/caseStore'
import { lockCheckpoint, readCheckpoint, writeCheckpoint } from '../../src/main/training/checkpoint'
import { fineTune } from '../../src/main/training/fineTune'
import { rowSet } from '../../src/main/training/rowSet'
import { blockTrainable, linearHeadTrainable, type Trainable } from '../../src/main/training/trainables'
import { DEFAULT_TRAIN_OPTIONS, trainLoop, type TrainerState } from '../../src/main/training/trainLoop'
import { seededRandom } from '../../src/shared/random'
import { HAS_NIH, imageFolder, LABELS_CSV, NIH_256, tempDir } from './helpers'

const dir = tempDir()
afterAll(dir.cleanup)

const C = 3
const random = seededRandom(21)
const uniform = (n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * random())

function data(D: number, rows = 80) {
  const matrix = uniform(rows * D, 0, 2)
  // Labels that depend on the inputs, so training moves and validation AUROC is defined.
  const labels = (r: number) => Uint8Array.from({ length: C }, (_, c) => (matrix[r * D + c] + matrix[r * D + c + 3] > 2 ? 1 : 0))
  const ids = Array.from({ length: rows }, (_, i) => i)
  return { train: rowSet(matrix, D, ids.slice(0, 60), labels, C), val: rowSet(matrix, D, ids.slice(60), labels, C) }
}

const options = { ...DEFAULT_TRAIN_OPTIONS, maxEpochs: 7, patience: 7, batchSize: 16, learningRate: 0.01, dropout: 0.3 }
const strip = (history: Array<{ seconds: number }>) => history.map((h) => ({ ...h, seconds: 0 }))

async function interruptedThenResumed(make: () => Trainable, sets: ReturnType<typeof data>, stopAfter: number) {
  const path = join(dir.path, `ckpt-${Math.random()}.ckpt`)
  const controller = new AbortController()
  const save = (state: TrainerState) => writeCheckpoint(path, { hash: 'h', meta: { note: 'x' }, state })
  await expect(
    trainLoop(make(), sets.train, sets.val, options, {
      signal: controller.signal,
      onCheckpoint: save,
      onEpoch: (r) => r.epoch === stopAfter && controller.abort(),
    }),
  ).rejects.toThrow(/cancelled/)
  const checkpoint = readCheckpoint<{ note: string }>(path, 'h')!
  expect(checkpoint.meta).toEqual({ note: 'x' })
  expect(checkpoint.state.epoch).toBe(stopAfter)
  expect(() => readCheckpoint(path, 'other')).toThrow(/another training configuration/)
  return trainLoop(make(), sets.train, sets.val, options, { resume: checkpoint.state, onCheckpoint: save })
}

describe('resume-safe training', () => {
  for (const kind of ['linear head', 'last block + head'] as const) {
    it(`${kind}: a run stopped after epoch 3 and resumed from its checkpoint file ends with the same weights as an uninterrupted run`, async () => {
      const cells = 4,
        Cin = 8,
        K = 6
      const init = {
        block: uniform(K * Cin, -0.5, 0.5),
        blockBias: uniform(K, 0, 0.5),
        head: uniform(C * K, -0.5, 0.5),
        bias: new Float32Array(C),
      }
      const make = () =>
        kind === 'linear head'
          ? linearHeadTrainable({ weight: Float32Array.from(init.head), bias: Float32Array.from(init.bias) }, K)
          : blockTrainable(
              { weight: Float32Array.from(init.block), bias: Float32Array.from(init.blockBias), activation: 'relu6', inChannels: Cin },
              { weight: Float32Array.from(init.head), bias: Float32Array.from(init.bias) },
              cells,
              0.1,
            )
      const sets = data(kind === 'linear head' ? K : cells * Cin)
      const whole = await trainLoop(make(), sets.train, sets.val, options)
      const resumed = await interruptedThenResumed(make, sets, 3)
      expect(whole.history).toHaveLength(7)
      expect(strip(resumed.history)).toEqual(strip(whole.history))
      expect(resumed.bestEpoch).toBe(whole.bestEpoch)
      whole.params.forEach((p, i) => expect(Buffer.from(resumed.params[i].buffer).equals(Buffer.from(p.buffer))).toBe(true))
      // Training did move the weights (the comparison above is not between two untouched copies).
      expect(Array.from(whole.params.at(-2)!)).not.toEqual(Array.from(init.head))
    })
  }
})

describe('checkpoint lock', () => {
  it('refuses a second run of a configuration while the first lives, and takes over the lock of a dead process', () => {
    const path = join(dir.path, 'locked', 'x.ckpt')
    const release = lockCheckpoint(path)
    expect(() => lockCheckpoint(path)).toThrow(/The same training is already running \(process \d+\)/)
    release()
    lockCheckpoint(path)()
    // A pid that cannot be alive (beyond the Linux maximum) stands for a process killed while it held the lock.
    writeFileSync(`${path}.lock`, '4194305')
    const taken = lockCheckpoint(path)
    expect(readFileSync(`${path}.lock`, 'utf8')).toBe(String(process.pid))
    taken()
    expect(existsSync(`${path}.lock`)).toBe(false)
  })
})

describe.runIf(HAS_NIH)('fine-tuning resumes from its checkpoint in the data folder', () => {
  it('a run cancelled in the second cross-validation fold resumes there and registers the same weights as an uninterrupted run', async () => {
    const engine = new InferenceEngine({ providers: ['cpu'], threads: 1 })
    const names = readdirSync(NIH_256).sort().slice(300, 400)
    const open = async (name: string) => {
      const dataDir = join(dir.path, name)
      const store = CaseStore.open(join(dataDir, 'cxr-lens.sqlite'))
      await importNih(store, { imagesDir: imageFolder(dataDir, NIH_256, names), labelsCsv: LABELS_CSV })
      const registry = new ModelRegistry(store, join(dataDir, 'models'), join(dataDir, 'none'))
      registry.import(resolve(__dirname, '../fixtures/engine/tiny-resnet'))
      return { store, registry, engine, dataDir }
    }
    const request = {
      model: 'tiny-resnet',
      layers: 'head' as const,
      folds: 2,
      options: { maxEpochs: 5, patience: 5 },
      registerIfWorse: true,
    }
    try {
      const a = await open('uninterrupted')
      const whole = await fineTune(a, request)
      expect(whole.resumedFrom).toBeNull()

      const b = await open('interrupted')
      const controller = new AbortController()
      await expect(
        fineTune(b, request, { signal: controller.signal, onEpoch: (r) => r.fold === 2 && r.epoch === 2 && controller.abort() }),
      ).rejects.toThrow(/cancelled/)
      const checkpoints = readdirSync(join(b.dataDir, 'training'))
      expect(checkpoints.filter((f) => f.endsWith('.ckpt'))).toHaveLength(1)
      expect(b.registry.list().map((m) => m.pkg.manifest.version)).toEqual(['0.0.1-test'])

      const epochs: string[] = []
      const resumed = await fineTune(b, request, { onEpoch: (r) => epochs.push(`${r.fold}:${r.epoch}`) })
      expect(resumed.resumedFrom).toEqual({ fold: 2, epoch: 2 })
      expect(epochs).toEqual(['2:3', '2:4', '2:5', 'null:1', 'null:2', 'null:3', 'null:4', 'null:5'])
      expect(resumed.folds).toEqual(whole.folds)
      expect(resumed.child!.sha256).toBe(whole.child!.sha256)
      expect(readFileSync(join(resumed.child!.dir, 'model.onnx')).equals(readFileSync(join(whole.child!.dir, 'model.onnx')))).toBe(true)
      // Registered, so the checkpoint is gone; a third run starts afresh.
      expect(readdirSync(join(b.dataDir, 'training')).filter((f) => f.endsWith('.ckpt'))).toHaveLength(0)
      const again = await fineTune(b, { ...request, folds: undefined, options: { maxEpochs: 1 } })
      expect(again.resumedFrom).toBeNull()

      // --fresh ignores a checkpoint of the same configuration.
      const c = await open('fresh')
      const stop = new AbortController()
      await expect(fineTune(c, request, { signal: stop.signal, onEpoch: (r) => r.epoch === 1 && stop.abort() })).rejects.toThrow(
        /cancelled/,
      )
      const fresh = await fineTune(c, { ...request, fresh: true })
      expect(fresh.resumedFrom).toBeNull()
      expect(fresh.child!.sha256).toBe(whole.child!.sha256)
      for (const deps of [a, b, c]) deps.store.close()
      expect(existsSync(join(c.dataDir, 'training'))).toBe(true)
    } finally {
      await engine.close()
    }
  })
})
