import { describe, expect, it } from 'vitest'
import { boxLossColumnOf, type BoxLossColumn } from '../../src/main/training/boxLoss'
import { AUROC_SLACK, boxSelection } from '../../src/main/training/boxSelection'
import { boxLossColumn, type BoxTarget } from '../../src/main/training/camLoss'
import { FILL_TEMPERATURE, fillLossColumn, levelLossColumn } from '../../src/main/training/fillLoss'
import { boxFindingWeightsOf, levelColumnsOf } from '../../src/main/training/fineTune'
import { blockTrainable } from '../../src/main/training/trainables'
import { fineTuneRequestOf } from '../../src/main/training/trainingRequest'
import { trainingRequestSchema } from '../../src/shared/jobs'
import { seededRandom } from '../../src/shared/random'

/**
 * The fill loss (fillLoss.ts): its value against a float64 reference written from its definition,
 * its gradient against central differences of that reference, the properties it exists for (a map
 * covering the box beats a blob inside it, which the mass loss cannot tell apart; the head's bias and
 * the map's scale do not matter), and its use by the trainable through `Localization.loss`.
 */
const random = seededRandom(5)
const uniform = (n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * random())

// Every test's map: 4×4 cells, 3 findings, a 2×2 box.
const cells = 16
const C = 3
const mask = Uint8Array.from({ length: cells }, (_, s) => (s % 4 >= 1 && s % 4 <= 2 && s >= 4 && s < 12 ? 1 : 0))

/** One column function's loss and gradient on a map. */
const runColumn = (f: BoxLossColumn, cam: Float32Array, target: BoxTarget, scale: number) => {
  const grad = new Float32Array(cells * C)
  return { loss: f(cam, grad, cells, C, target, scale), grad }
}

/** A small last block (4 channels from 3) and head over the map's cells, drawn from the shared generator. */
const smallBlock = (blockLrScale = 0.1) => {
  const K = 4
  const Cin = 3
  const block = { weight: uniform(K * Cin, -1, 2), bias: uniform(K, -0.5, 0.5), activation: 'relu6' as const, inChannels: Cin }
  const head = { weight: uniform(C * K, -1, 1), bias: uniform(C, -1, 1) }
  return blockTrainable(block, head, cells, blockLrScale)
}

/** The definition, in float64: balanced BCE of σ(τ·z) against the mask, z the map standardized over the cells. */
function reference(map: Float64Array, mask: Uint8Array, tau = FILL_TEMPERATURE): number {
  const N = map.length
  const inside = mask.reduce((a, b) => a + b, 0)
  const mean = map.reduce((a, b) => a + b, 0) / N
  const sd = Math.sqrt(map.reduce((a, v) => a + (v - mean) ** 2, 0) / N + 1e-6)
  let loss = 0
  map.forEach((v, s) => {
    const p = 1 / (1 + Math.exp(-tau * ((v - mean) / sd)))
    loss += mask[s] ? -Math.log(p) / (2 * inside) : -Math.log(1 - p) / (2 * (N - inside))
  })
  return loss
}

const column = (cam: Float32Array, cells: number, C: number, c: number) => Float64Array.from({ length: cells }, (_, s) => cam[s * C + c])

/** d f / d map_s by central differences, for every cell s. */
function centralDifferences(map: Float64Array, f: (m: Float64Array) => number, h = 1e-4): Float64Array {
  return Float64Array.from(map, (_, s) => {
    const up = Float64Array.from(map)
    const down = Float64Array.from(map)
    up[s] += h
    down[s] -= h
    return (f(up) - f(down)) / (2 * h)
  })
}

describe('fill loss', () => {
  it('matches its definition, and its gradient matches central differences; other columns are untouched', () => {
    const cam = uniform(cells * C, -2, 3)
    const grad = new Float32Array(cells * C)
    const scale = 0.8
    const loss = fillLossColumn(cam, grad, cells, C, { finding: 1, mask }, scale)
    const map = column(cam, cells, C, 1)
    expect(loss).toBeCloseTo(reference(map, mask), 5)
    const numeric = centralDifferences(map, (m) => reference(m, mask))
    for (let s = 0; s < cells; s++) {
      expect(grad[s * C + 1], `cell ${s}`).toBeCloseTo(scale * numeric[s], 4)
      expect(grad[s * C], `column 0, cell ${s}`).toBe(0)
      expect(grad[s * C + 2], `column 2, cell ${s}`).toBe(0)
    }
    // The gradient sums to zero over the cells: to first order the pooled logit (mean CAM + bias) is left to the label loss.
    expect(Math.abs(Array.from({ length: cells }, (_, s) => grad[s * C + 1]).reduce((a, b) => a + b, 0))).toBeLessThan(1e-6)
  })

  it('prefers a map that fills the box to a blob inside it, which the mass loss scores alike; blind to bias and scale', () => {
    const filled = new Float32Array(cells).map((_, s) => (mask[s] ? 5 : 0))
    const blob = new Float32Array(cells).map((_, s) => (s === 5 ? 20 : 0)) // one cell of the box
    const lossOf = (f: typeof fillLossColumn, map: Float32Array) => f(map, new Float32Array(cells), cells, 1, { finding: 0, mask }, 1)
    expect(lossOf(fillLossColumn, filled)).toBeLessThan(lossOf(fillLossColumn, blob) - 0.1)
    // Both put (almost) all the softmax mass inside the box.
    expect(lossOf(boxLossColumn, blob)).toBeLessThan(1e-6)
    expect(lossOf(boxLossColumn, filled)).toBeLessThan(0.05)
    const map = uniform(cells, -1, 1)
    const moved = map.map((v) => 3 * v + 7)
    expect(lossOf(fillLossColumn, moved)).toBeCloseTo(lossOf(fillLossColumn, map), 4)
  })

  it('a mask covering no cell or every cell supervises nothing', () => {
    for (const m of [new Uint8Array(cells), new Uint8Array(cells).fill(1)]) {
      const grad = new Float32Array(cells)
      expect(fillLossColumn(uniform(cells, -1, 1), grad, cells, 1, { finding: 0, mask: m }, 1)).toBe(0)
      expect(grad.every((v) => v === 0)).toBe(true)
    }
  })

  it('a flat map gets a finite loss and gradient', () => {
    const grad = new Float32Array(cells)
    const loss = fillLossColumn(new Float32Array(cells).fill(2), grad, cells, 1, { finding: 0, mask }, 1)
    expect(loss).toBeCloseTo(Math.log(2), 6)
    expect(grad.every(Number.isFinite)).toBe(true)
  })

  it('the box-loss kinds: mass is the CAM loss, fill+mass the sum of both; anything else is refused by name', () => {
    const cam = uniform(cells * C, -2, 2)
    const target = { finding: 2, mask }
    const run = (f: BoxLossColumn) => runColumn(f, cam, target, 0.5)
    const mass = run(boxLossColumnOf('mass'))
    const fill = run(boxLossColumnOf('fill'))
    const both = run(boxLossColumnOf('fill+mass'))
    expect(boxLossColumnOf()).toBe(boxLossColumn)
    expect(mass).toEqual(run(boxLossColumn))
    expect(fill.loss).not.toBeCloseTo(mass.loss, 2)
    expect(both.loss).toBeCloseTo(mass.loss + fill.loss, 5)
    both.grad.forEach((v, i) => expect(v).toBeCloseTo(mass.grad[i] + fill.grad[i], 6))
    expect(() => boxLossColumnOf('inside' as never)).toThrow(/mass, fill, fill\+mass, not "inside"/)
  })

  it('the trainable applies the chosen term: its reported box loss is λ × the fill loss of the rows with boxes', async () => {
    const n = 2
    const model = smallBlock()
    const x = uniform(n * cells * 3, 0, 3)
    const boxed = { finding: 1, mask }
    const targets = [[boxed], null]
    const zeros = () => new Float32Array(n * C)
    let fillReported = 0
    let massReported = 0
    const viaFill = await model.backward(x, n, { keep: 1, random }, zeros, {
      weight: 2,
      targets,
      loss: 'fill',
      onLoss: (l) => (fillReported = l),
    })
    const viaMass = await model.backward(x, n, { keep: 1, random }, zeros, { weight: 2, targets, onLoss: (l) => (massReported = l) })
    const cams = await model.cams!(x, n)
    const first = cams.subarray(0, cells * C)
    expect(fillReported).toBeCloseTo(2 * fillLossColumn(first, new Float32Array(cells * C), cells, C, boxed, 1), 5)
    expect(massReported).toBeCloseTo(2 * boxLossColumn(first, new Float32Array(cells * C), cells, C, boxed, 1), 5)
    expect(Math.max(...Array.from(viaFill[0], (v, i) => Math.abs(v - viaMass[0][i])))).toBeGreaterThan(1e-4)
  })
})

describe('choosing λ without a labels-only run', () => {
  const c = (weight: number, valMacroAuroc: number, valIouMean: number) => ({ weight, valMacroAuroc, valIouMean, valIobb25: null })

  it("the parent's validation AUROC is the base; with none eligible the smallest weight is kept", () => {
    expect(boxSelection([c(3, 0.766, 0.16), c(10, 0.762, 0.2), c(30, 0.75, 0.3)], 0.766)).toEqual({
      index: 1,
      weight: 10,
      eligible: [true, true, false],
    })
    expect(boxSelection([c(3, 0.7, 0.16), c(10, 0.69, 0.2)], 0.766)).toEqual({ index: 0, weight: 3, eligible: [false, false] })
    // With a λ = 0 run the parent's AUROC is not used.
    expect(boxSelection([c(0, 0.8, 0.1), c(3, 0.8 - AUROC_SLACK / 2, 0.2)], 0.9).weight).toBe(3)
  })
})

describe('the request: --box-loss and --skip-labels-only', () => {
  it('mass is the default and leaves the options (and so the checkpoint hash) as before; fill and skipping reach fineTune', () => {
    const plain = fineTuneRequestOf({ layers: 'head+last-block', boxes: true, boxWeights: [3] })
    expect(fineTuneRequestOf({ layers: 'head+last-block', boxes: true, boxWeights: [3], boxLoss: 'mass' })).toEqual(plain)
    expect(plain.options).not.toHaveProperty('boxLoss')
    expect(plain).not.toHaveProperty('skipLabelsOnly')
    const fill = fineTuneRequestOf({ layers: 'head+last-block', boxes: true, boxWeights: [3], boxLoss: 'fill', skipLabelsOnly: true })
    expect(fill.options).toEqual({ boxLoss: 'fill' })
    expect(fill.skipLabelsOnly).toBe(true)
    // Without boxes there is nothing to skip.
    expect(fineTuneRequestOf({ layers: 'head', skipLabelsOnly: true })).not.toHaveProperty('skipLabelsOnly')
  })

  it('the job map refuses an unknown box loss', () => {
    expect(trainingRequestSchema.safeParse({ boxes: true, boxLoss: 'fill+mass' }).success).toBe(true)
    expect(trainingRequestSchema.safeParse({ boxes: true, boxLoss: 'inside' }).success).toBe(false)
    expect(trainingRequestSchema.safeParse({ boxes: true, skipLabelsOnly: 'yes' }).success).toBe(false)
  })
})

describe('the fill temperature, per-finding box weights and the block learning-rate scale (3.4 candidates)', () => {
  it('boxLossColumnOf passes τ to the fill term (and only to it); a τ that is not a positive number is refused', () => {
    const cam = uniform(cells * C, -2, 2)
    const target = { finding: 2, mask }
    const run = (f: BoxLossColumn) => runColumn(f, cam, target, 1)
    const direct = (tau: number) => run((...a) => fillLossColumn(...a, tau))
    expect(run(boxLossColumnOf('fill', 4))).toEqual(direct(4))
    expect(run(boxLossColumnOf('fill'))).toEqual(direct(FILL_TEMPERATURE))
    expect(run(boxLossColumnOf('fill', 1)).loss).not.toBeCloseTo(run(boxLossColumnOf('fill', 4)).loss, 3)
    expect(run(boxLossColumnOf('fill+mass', 4)).loss).toBeCloseTo(direct(4).loss + run(boxLossColumn).loss, 5)
    expect(boxLossColumnOf('mass', 4)).toBe(boxLossColumn)
    for (const bad of [0, -1, Number.NaN, Infinity]) expect(() => boxLossColumnOf('fill', bad)).toThrow(/fill temperature/)
    // τ scales the definition the reference is written from.
    const map = column(cam, cells, C, 2)
    expect(direct(4).loss).toBeCloseTo(reference(map, mask, 4), 5)
  })

  it("a target's weight multiplies its loss and its share of every gradient; a weight of 1 is the unweighted run", async () => {
    const n = 2
    const model = smallBlock()
    const x = uniform(n * cells * 3, 0, 3)
    const zeros = () => new Float32Array(n * C)
    const run = async (weight?: number) => {
      let reported = 0
      const grads = await model.backward(x, n, { keep: 1, random }, zeros, {
        weight: 2,
        targets: [[{ finding: 1, mask, ...(weight === undefined ? {} : { weight }) }], null],
        loss: 'fill+mass',
        onLoss: (l) => (reported = l),
      })
      return { reported, grads }
    }
    const plain = await run()
    const one = await run(1)
    const three = await run(3)
    const none = await run(0)
    expect(one).toEqual(plain)
    expect(three.reported).toBeCloseTo(3 * plain.reported, 4)
    // The labels' gradient is zero here (zeros), so every parameter's gradient is the box term's.
    plain.grads.forEach((g, p) => g.forEach((v, i) => expect(three.grads[p][i]).toBeCloseTo(3 * v, 4)))
    expect(none.reported).toBe(0)
    none.grads.forEach((g) => g.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-9)))
  })

  it('the block learning-rate scale reaches the block parameters only', () => {
    expect(smallBlock(0.3).params.map((p) => [p.name, p.lrScale])).toEqual([
      ['block.weight', 0.3],
      ['block.bias', 0.3],
      ['head.weight', 1],
      ['head.bias', 1],
    ])
  })

  it('the request: τ = 2 (the default) is left out of the options, so the hash stays; the others reach fineTune', () => {
    const base = { layers: 'head+last-block' as const, boxes: true, boxWeights: [30], boxLoss: 'fill+mass' as const }
    expect(fineTuneRequestOf({ ...base, fillTemperature: 2 })).toEqual(fineTuneRequestOf(base))
    expect(fineTuneRequestOf({ ...base, keepEpoch: 'best-auroc' })).toEqual(fineTuneRequestOf(base))
    expect(fineTuneRequestOf({ ...base, keepEpoch: 'last' }).options).toEqual({ boxLoss: 'fill+mass', keepEpoch: 'last' })
    expect(trainingRequestSchema.safeParse({ ...base, keepEpoch: 'first' }).success).toBe(false)
    const chosen = fineTuneRequestOf({
      ...base,
      fillTemperature: 4,
      blockLrScale: 0.3,
      boxFindingWeights: [{ finding: 'Cardiomegaly', weight: 3 }],
    })
    expect(chosen.options).toEqual({ boxLoss: 'fill+mass', fillTemperature: 4, blockLrScale: 0.3 })
    expect(chosen.boxFindingWeights).toEqual({ Cardiomegaly: 3 })
    // Without boxes, finding weights have nothing to weigh.
    expect(fineTuneRequestOf({ layers: 'head', boxFindingWeights: [{ finding: 'Cardiomegaly', weight: 3 }] })).not.toHaveProperty(
      'boxFindingWeights',
    )
    expect(trainingRequestSchema.safeParse({ ...base, fillTemperature: 0 }).success).toBe(false)
    expect(trainingRequestSchema.safeParse({ ...base, blockLrScale: -0.1 }).success).toBe(false)
    expect(trainingRequestSchema.safeParse({ ...base, boxFindingWeights: [{ finding: 'Cardiomegaly', weight: 101 }] }).success).toBe(false)
    expect(trainingRequestSchema.safeParse({ ...base, boxFindingWeights: { Cardiomegaly: 3 } }).success).toBe(false)
    expect(trainingRequestSchema.safeParse({ ...base, boxFindingWeights: [{ finding: 'Cardiomegaly', weight: 3 }] }).success).toBe(true)
  })

  it("finding weights by the model's columns: unnamed findings keep 1, a finding the model does not predict is refused by name", () => {
    expect(Array.from(boxFindingWeightsOf({ Cardiomegaly: 3 }, ['Atelectasis', 'Cardiomegaly', 'Effusion']))).toEqual([1, 3, 1])
    expect(() => boxFindingWeightsOf({ Heart: 3 }, ['Atelectasis', 'Cardiomegaly'])).toThrow(
      /"Heart": the model predicts Atelectasis, Cardiomegaly/,
    )
    expect(() => boxFindingWeightsOf({ Cardiomegaly: -1 }, ['Cardiomegaly'])).toThrow(/Cardiomegaly must be a number ≥ 0/)
  })
})

describe('the level term (--level-weight)', () => {
  /** The definition in float64: the variance of the standardized map over the box's cells. */
  const levelReference = (map: Float64Array) => {
    const N = map.length
    const mean = map.reduce((a, b) => a + b, 0) / N
    const sd = Math.sqrt(map.reduce((a, v) => a + (v - mean) ** 2, 0) / N + 1e-6)
    const z = Array.from(map, (v) => (v - mean) / sd).filter((_, s) => mask[s])
    const m = z.reduce((a, b) => a + b, 0) / z.length
    return z.reduce((a, v) => a + (v - m) ** 2, 0) / z.length
  }

  it('matches its definition, its gradient matches central differences, and it prefers a level box to a peak in it', () => {
    const cam = uniform(cells * C, -2, 3)
    const grad = new Float32Array(cells * C)
    const loss = levelLossColumn(cam, grad, cells, C, { finding: 2, mask }, 0.7)
    const map = column(cam, cells, C, 2)
    expect(loss).toBeCloseTo(levelReference(map), 5)
    const numeric = centralDifferences(map, levelReference)
    for (let s = 0; s < cells; s++) {
      expect(grad[s * C + 2], `cell ${s}`).toBeCloseTo(0.7 * numeric[s], 4)
      expect(grad[s * C]).toBe(0)
    }
    const level = new Float32Array(cells).map((_, s) => (mask[s] ? 5 : 0))
    const peaked = new Float32Array(cells).map((_, s) => (mask[s] ? (s === 5 ? 12 : 3) : 0))
    const of = (m: Float32Array) => levelLossColumn(m, new Float32Array(cells), cells, 1, { finding: 0, mask }, 1)
    expect(of(level)).toBeLessThan(1e-6)
    expect(of(peaked)).toBeGreaterThan(0.1)
    // the fill loss alone barely tells these two apart; the level term is what does
    expect(levelLossColumn(uniform(cells, -1, 1), new Float32Array(cells), cells, 1, { finding: 0, mask: new Uint8Array(cells) }, 1)).toBe(
      0,
    )
  })

  it('adds to the fill term at its multiple of λ; off by default; refused beside mass alone or when negative', () => {
    const cam = uniform(cells * C, -2, 2)
    const target = { finding: 1, mask }
    const run = (f: BoxLossColumn) => runColumn(f, cam, target, 0.5)
    const run2 = (f: BoxLossColumn, t: BoxTarget) => runColumn(f, cam, t, 0.5)
    const fill = run(boxLossColumnOf('fill', 4))
    expect(run(boxLossColumnOf('fill', 4, 0))).toEqual(fill)
    const level = run(levelLossColumn)
    const both = run(boxLossColumnOf('fill', 4, 3))
    expect(both.loss).toBeCloseTo(fill.loss + 3 * level.loss, 5)
    both.grad.forEach((v, i) => expect(v).toBeCloseTo(fill.grad[i] + 3 * level.grad[i], 5))
    // a target marked level: false gets the fill term only
    expect(run2(boxLossColumnOf('fill', 4, 3), { ...target, level: false })).toEqual(run2(boxLossColumnOf('fill', 4), target))
    expect(Array.from(levelColumnsOf(['Cardiomegaly'], ['Atelectasis', 'Cardiomegaly']))).toEqual([1])
    expect(() => levelColumnsOf(['Heart'], ['Atelectasis', 'Cardiomegaly'])).toThrow(/level finding "Heart": the model predicts/)
    expect(
      fineTuneRequestOf({ layers: 'head+last-block', boxes: true, boxLoss: 'fill', levelWeight: 1, levelFindings: ['Cardiomegaly'] })
        .levelFindings,
    ).toEqual(['Cardiomegaly'])
    expect(
      fineTuneRequestOf({ layers: 'head+last-block', boxes: true, boxLoss: 'fill', levelFindings: ['Cardiomegaly'] }),
    ).not.toHaveProperty('levelFindings')
    expect(() => boxLossColumnOf('mass', 2, 1)).toThrow(/level term goes with the fill loss/)
    expect(() => boxLossColumnOf('fill', 2, -1)).toThrow(/level weight/)
    expect(fineTuneRequestOf({ layers: 'head+last-block', boxes: true, boxLoss: 'fill', levelWeight: 0 }).options).toEqual({
      boxLoss: 'fill',
    })
    expect(fineTuneRequestOf({ layers: 'head+last-block', boxes: true, boxLoss: 'fill', levelWeight: 2 }).options).toEqual({
      boxLoss: 'fill',
      levelWeight: 2,
    })
  })
})
