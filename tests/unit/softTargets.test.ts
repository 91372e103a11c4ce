import { existsSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { teacherTargets } from '../../src/main/training/distillTargets'
import { mixBatch, mixupLambda } from '../../src/main/training/mixup'
import { rowSet } from '../../src/main/training/rowSet'
import { addDistillation, smoothedBce } from '../../src/main/training/softTargets'
import { readTeacherFile } from '../../src/main/training/teacherFile'
import { blockTrainable } from '../../src/main/training/trainables'
import { fineTuneRequestOf } from '../../src/main/training/trainingRequest'
import { DEFAULT_TRAIN_OPTIONS, trainLoop } from '../../src/main/training/trainLoop'
import { seededRandom } from '../../src/shared/random'
import { NIH_FINDINGS } from '../../src/shared/findings'
import { tempDir } from './helpers'

/**
 * Label smoothing and distillation (issue 16, reference model 3.1): their hand-written gradients
 * against central differences of their own losses, the teacher file's refusals, and the trainer:
 * off means exactly the weights of a run without them, on is seeded-reproducible and moves the weights.
 */
const dir = tempDir()
afterAll(dir.cleanup)
const random = seededRandom(5)
const uniform = (n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * random())
const n = 4,
  C = 3

/** Central differences of `loss(logits)` against `grad` × n (the trainer's gradients are batch means, its losses sums). */
function checkGradient(logits: Float32Array, grad: Float32Array, loss: (z: Float32Array) => number) {
  const h = 1e-2
  for (let j = 0; j < logits.length; j++) {
    const z = Float32Array.from(logits)
    z[j] = logits[j] + h
    const up = loss(z)
    z[j] = logits[j] - h
    const down = loss(z)
    expect(grad[j] * n).toBeCloseTo((up - down) / (2 * h), 4)
  }
}

describe('label smoothing', () => {
  const logits = uniform(n * C, -3, 3)
  const labels = Uint8Array.from({ length: n * C }, (_, j) => (j % 3 === 0 || j === 4 ? 1 : 0))
  const posWeight = [2.5, 1, 4]

  for (const eps of [0, 0.05, 0.1]) {
    it(`ε = ${eps}: the gradient matches central differences of the loss`, () => {
      const { grad } = smoothedBce(logits, labels, n, C, posWeight, eps)
      checkGradient(logits, grad, (z) => smoothedBce(z, labels, n, C, posWeight, eps).loss)
    })
  }

  it('ε = 0 is the positive-weighted BCE; ε > 0 stops pulling a positive at p = w·t / (w·t + 1 − t)', () => {
    const { grad } = smoothedBce(logits, labels, n, C, posWeight, 0)
    grad.forEach((g, j) => {
      const p = 1 / (1 + Math.exp(-logits[j]))
      const w = labels[j] ? posWeight[j % C] : 1
      expect(g).toBeCloseTo((w * (p - labels[j])) / n, 6)
    })
    const t = 1 - 0.1 / 2
    const p = (2.5 * t) / (2.5 * t + 1 - t)
    const at = Float32Array.of(Math.log(p / (1 - p)))
    expect(Math.abs(smoothedBce(at, Uint8Array.of(1), 1, 1, [2.5], 0.1).grad[0])).toBeLessThan(1e-6)
    expect(smoothedBce(at, Uint8Array.of(1), 1, 1, [2.5], 0).grad[0]).toBeLessThan(-0.01)
  })
})

describe('distillation', () => {
  const logits = uniform(n * C, -3, 3)
  const teacher = [uniform(C, 0, 1), null, uniform(C, 0, 1), Float32Array.of(0, 1, 0.5)]

  it('the gradient matches central differences of the loss; rows without a teacher get none', () => {
    const grad = new Float32Array(n * C)
    const loss = addDistillation(logits, grad, teacher, n, C, 0.7)
    expect(loss).toBeGreaterThan(0)
    checkGradient(logits, grad, (z) => addDistillation(z, new Float32Array(n * C), teacher, n, C, 0.7))
    expect(Array.from(grad.subarray(C, 2 * C))).toEqual([0, 0, 0])
  })

  it('adds to the label gradient already there', () => {
    const base = uniform(n * C, -1, 1)
    const grad = Float32Array.from(base)
    addDistillation(logits, grad, teacher, n, C, 1)
    const alone = new Float32Array(n * C)
    addDistillation(logits, alone, teacher, n, C, 1)
    grad.forEach((g, j) => expect(g).toBeCloseTo(base[j] + alone[j], 6))
  })
})

describe('the teacher file', () => {
  const findings = ['Atelectasis', 'Pleural_Thickening']
  const write = (name: string, text: string) => {
    const path = join(dir.path, name)
    writeFileSync(path, text)
    return path
  }

  it('reads image → probabilities in the model finding order, whatever the column order', () => {
    const path = write('ok.csv', 'Image Index,prob_Pleural_Thickening,prob_Atelectasis,prob_Hernia\na.png,0.25,0.5,0.1\nb.png,0,1,0\n')
    const map = readTeacherFile(path, findings)
    expect([...map.keys()]).toEqual(['a.png', 'b.png'])
    expect(Array.from(map.get('a.png')!)).toEqual([0.5, 0.25])
  })

  it('refuses a missing column, a value outside 0…1 and an image listed twice, naming the file and line', () => {
    expect(() => readTeacherFile(write('cols.csv', 'Image Index,prob_Atelectasis\na.png,0.5\n'), findings)).toThrow(
      /cols\.csv.*prob_Pleural_Thickening/,
    )
    expect(() => readTeacherFile(write('range.csv', 'image,prob_Atelectasis,prob_Pleural_Thickening\na.png,0.5,1.5\n'), findings)).toThrow(
      /range\.csv line 2: prob_Pleural_Thickening is a probability in 0…1, not "1\.5"/,
    )
    expect(() => readTeacherFile(write('empty.csv', 'image,prob_Atelectasis,prob_Pleural_Thickening\na.png,,0.1\n'), findings)).toThrow(
      /empty\.csv line 2: prob_Atelectasis/,
    )
    expect(() =>
      readTeacherFile(write('twice.csv', 'image,prob_Atelectasis,prob_Pleural_Thickening\na.png,0.5,0.1\na.png,0.5,0.1\n'), findings),
    ).toThrow(/twice\.csv line 3: a\.png is listed twice/)
    expect(() => readTeacherFile(join(dir.path, 'absent.csv'), findings)).toThrow(
      /distillation file .*absent\.csv cannot be read \(ENOENT\)/,
    )
  })

  it('hands probabilities to the listed cases only, and a different file or weight is a different configuration', () => {
    const path = write('t.csv', 'image,prob_Atelectasis,prob_Pleural_Thickening\na.png,0.5,0.1\n')
    const other = write('u.csv', 'image,prob_Atelectasis,prob_Pleural_Thickening\na.png,0.5,0.2\n')
    const names = new Map([
      [1, 'a.png'],
      [2, 'z.png'],
    ])
    const t = teacherTargets({ file: path, weight: 1 }, findings, (id) => names.get(id) ?? '')
    const rows = t.forRows([2, 1])
    expect(rows.targets[0]).toBeNull()
    expect(Array.from(rows.targets[1]!)).toEqual([0.5, Math.fround(0.1)])
    expect(teacherTargets({ file: other, weight: 1 }, findings, () => '').hashInput).not.toEqual(t.hashInput)
    expect(teacherTargets({ file: path, weight: 2 }, findings, () => '').hashInput).not.toEqual(t.hashInput)
    expect(() => teacherTargets({ file: path, weight: 0 }, findings, () => '')).toThrow(/distillation weight must be a positive number/)
  })

  const shared = resolve(__dirname, '../../../shared/data/nih/reference/chexnet_dev_preds.csv')
  it.skipIf(!existsSync(shared))('reads the CheXNet reproduction predictions: 696 images, 14 findings', () => {
    const all = [...NIH_FINDINGS]
    const map = readTeacherFile(shared, all)
    expect(map.size).toBe(696)
    for (const q of map.values()) expect(q).toHaveLength(14)
  })
})

describe('the trainer with soft targets', () => {
  const cells = 4,
    Cin = 8,
    K = 6,
    T = 3
  const init = { block: uniform(K * Cin, -0.5, 0.5), blockBias: uniform(K, 0, 0.5), head: uniform(T * K, -0.5, 0.5) }
  const make = () =>
    blockTrainable(
      { weight: Float32Array.from(init.block), bias: Float32Array.from(init.blockBias), activation: 'relu6', inChannels: Cin },
      { weight: Float32Array.from(init.head), bias: new Float32Array(T) },
      cells,
      0.1,
    )
  const D = cells * Cin
  const matrix = uniform(80 * D, 0, 2)
  const labels = (r: number) => Uint8Array.from({ length: T }, (_, c) => (matrix[r * D + c] + matrix[r * D + c + 3] > 2 ? 1 : 0))
  const ids = Array.from({ length: 80 }, (_, i) => i)
  const train = rowSet(matrix, D, ids.slice(0, 60), labels, T)
  const val = rowSet(matrix, D, ids.slice(60), labels, T)
  const teacher = ids.slice(0, 60).map((i) => (i % 2 ? uniform(T, 0, 1) : null))
  const options = { ...DEFAULT_TRAIN_OPTIONS, maxEpochs: 4, patience: 4, batchSize: 16, learningRate: 0.01 }
  const same = (a: Float32Array[], b: Float32Array[]) => a.every((p, i) => Buffer.from(p.buffer).equals(Buffer.from(b[i].buffer)))

  it('off (ε = 0, β = 0, α = 0) gives exactly the weights of a run without them; on is reproducible and changes them', async () => {
    const plain = await trainLoop(make(), train, val, options)
    const off = await trainLoop(
      make(),
      train,
      val,
      { ...options, labelSmoothing: 0, mixup: 0 },
      { distill: { weight: 0, targets: teacher } },
    )
    expect(same(off.params, plain.params)).toBe(true)
    for (const run of [
      { opts: { ...options, labelSmoothing: 0.1 }, hooks: {} },
      { opts: options, hooks: { distill: { weight: 1, targets: teacher } } },
      { opts: { ...options, mixup: 0.4 }, hooks: {} },
    ]) {
      const a = await trainLoop(make(), train, val, run.opts, run.hooks)
      const b = await trainLoop(make(), train, val, run.opts, run.hooks)
      expect(same(a.params, b.params)).toBe(true)
      expect(same(a.params, plain.params)).toBe(false)
    }
  })

  it("keepEpoch 'last' trains every epoch and keeps the last one's weights; the default keeps the best AUROC's and may stop early", async () => {
    const short = { ...options, maxEpochs: 6, patience: 1 }
    const best = await trainLoop(make(), train, val, short)
    const last = await trainLoop(make(), train, val, { ...short, keepEpoch: 'last' })
    expect(last.history).toHaveLength(6)
    expect(last.bestEpoch).toBe(6)
    expect(last.bestValMacroAuroc).toBe(last.history[5].valMacroAuroc)
    // The best-AUROC run kept its best epoch, and the two agree up to where it stopped (same draws).
    const aurocs = best.history.map((h) => h.valMacroAuroc!)
    expect(best.bestValMacroAuroc).toBe(Math.max(...aurocs))
    expect(last.history.slice(0, best.history.length).map((h) => h.valMacroAuroc)).toEqual(aurocs)
    // With patience 1 the default stops at the first epoch that does not improve; 'last' ignores patience.
    expect(best.history.length).toBeLessThan(6)
    const lastEpoch = await trainLoop(make(), train, val, { ...options, maxEpochs: best.bestEpoch, keepEpoch: 'last' })
    expect(same(lastEpoch.params, best.params)).toBe(true)
  })

  it('refuses label smoothing or mixup with the focal loss, and mixup with distillation', async () => {
    await expect(trainLoop(make(), train, val, { ...options, loss: 'focal', labelSmoothing: 0.1 })).rejects.toThrow(
      /label smoothing goes with the BCE loss/,
    )
    await expect(trainLoop(make(), train, val, { ...options, loss: 'focal', mixup: 0.4 })).rejects.toThrow(/mixup goes with the BCE loss/)
    await expect(trainLoop(make(), train, val, { ...options, mixup: 0.4 }, { distill: { weight: 1, targets: teacher } })).rejects.toThrow(
      /mixup and distillation/,
    )
  })

  it('the request mapping adds the options only when asked (an older run keeps its configuration hash)', () => {
    expect(fineTuneRequestOf({ layers: 'head', labelSmoothing: 0, mixup: 0 })).toEqual(fineTuneRequestOf({ layers: 'head' }))
    expect(fineTuneRequestOf({ layers: 'head', mixup: 0.4 }).options).toEqual({ mixup: 0.4 })
    expect(fineTuneRequestOf({ layers: 'head' })).not.toHaveProperty('distill')
    expect(fineTuneRequestOf({ layers: 'head', labelSmoothing: 0.1 }).options).toEqual({ labelSmoothing: 0.1 })
    expect(fineTuneRequestOf({ layers: 'head', distill: '/t.csv' }).distill).toEqual({ file: '/t.csv', weight: 1 })
    expect(fineTuneRequestOf({ layers: 'head', distill: '/t.csv', distillWeight: 0.5 }).distill).toEqual({ file: '/t.csv', weight: 0.5 })
  })
})

describe('mixup on cached inputs', () => {
  const D = 5,
    nb = 6,
    Cm = 2
  const x = uniform(nb * D, -1, 1)
  const labels = Uint8Array.from({ length: nb * Cm }, (_, j) => (j % 3 === 0 ? 1 : 0))

  it('blends each row with one partner by one λ in [0.5, 1]; labels blend alike; seeded', () => {
    const a = mixBatch(x, nb, D, labels, Cm, 0.4, seededRandom(9))
    const b = mixBatch(x, nb, D, labels, Cm, 0.4, seededRandom(9))
    expect(Buffer.from(a.x.buffer).equals(Buffer.from(b.x.buffer))).toBe(true)
    expect(a.lambda).toBeGreaterThanOrEqual(0.5)
    expect(a.lambda).toBeLessThanOrEqual(1)
    for (let i = 0; i < nb; i++) {
      // the partner is the row j whose blend reproduces row i
      const j = Array.from({ length: nb }, (_, k) => k).find((k) =>
        Array.from({ length: D }, (_, d) => a.lambda * x[i * D + d] + (1 - a.lambda) * x[k * D + d]).every(
          (v, d) => Math.abs(v - a.x[i * D + d]) < 1e-6,
        ),
      )
      expect(j).toBeDefined()
      for (let c = 0; c < Cm; c++)
        expect(a.targets[i * Cm + c]).toBeCloseTo(a.lambda * labels[i * Cm + c] + (1 - a.lambda) * labels[j! * Cm + c], 6)
    }
  })

  it('λ follows Beta(α, α) folded to [0.5, 1]: mean 0.75 for α = 1 (uniform), near 1 for small α', () => {
    const random = seededRandom(3)
    const draws = (alpha: number) => Array.from({ length: 4000 }, () => mixupLambda(alpha, random))
    const meanOf = (v: number[]) => v.reduce((s, d) => s + d, 0) / v.length
    expect(meanOf(draws(1))).toBeCloseTo(0.75, 1)
    expect(meanOf(draws(0.2))).toBeGreaterThan(0.85)
    expect(Math.min(...draws(0.4))).toBeGreaterThanOrEqual(0.5)
  })
})
