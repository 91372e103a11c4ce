import { describe, expect, it } from 'vitest'
import { blockTrainable, linearHeadTrainable, type Trainable } from '../../src/main/training/trainables'
import { seededRandom } from '../../src/shared/random'

/**
 * The trainable layers against a float64 reference written here from the definitions (1×1 conv =
 * per-cell matrix product, bias, ReLU6, mean over cells, linear head): forward values, and every
 * parameter's gradient against central differences of the reference.
 */
const random = seededRandom(11)
const uniform = (n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * random())

const n = 3,
  cells = 4,
  Cin = 6,
  K = 5,
  C = 3

function referenceLogits(p: Float64Array[], x: Float32Array, activation: 'relu6' | 'none'): Float64Array {
  const [wb, bb, wh, bh] = p
  const out = new Float64Array(n * C)
  for (let i = 0; i < n; i++) {
    const pooled = new Float64Array(K)
    for (let c = 0; c < cells; c++) {
      for (let k = 0; k < K; k++) {
        let z = bb[k]
        for (let j = 0; j < Cin; j++) z += wb[k * Cin + j] * x[(i * cells + c) * Cin + j]
        pooled[k] += (activation === 'relu6' ? Math.min(6, Math.max(0, z)) : z) / cells
      }
    }
    for (let o = 0; o < C; o++) {
      let s = bh[o]
      for (let k = 0; k < K; k++) s += wh[o * K + k] * pooled[k]
      out[i * C + o] = s
    }
  }
  return out
}

/** loss = Σ R ⊙ logits, so d loss / d logits = R. */
const R = uniform(n * C, -1, 1)
const lossOf = (logits: Float64Array) => logits.reduce((s, v, i) => s + v * R[i], 0)

async function checkGradients(model: Trainable, x: Float32Array, reference: (p: Float64Array[]) => Float64Array) {
  const params = model.params.map((p) => Float64Array.from(p.data))
  const forward = await model.forward(x, n)
  const expected = reference(params)
  forward.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4))
  const grads = await model.backward(x, n, { keep: 1, random }, () => R)
  const h = 1e-4
  params.forEach((p, pi) => {
    for (let i = 0; i < p.length; i++) {
      const saved = p[i]
      p[i] = saved + h
      const up = lossOf(reference(params))
      p[i] = saved - h
      const down = lossOf(reference(params))
      p[i] = saved
      expect(grads[pi][i]).toBeCloseTo((up - down) / (2 * h), 3)
    }
  })
}

describe('trainable layers', () => {
  it('the linear head: logits and gradients', async () => {
    const head = { weight: uniform(C * K, -1, 1), bias: uniform(C, -1, 1) }
    const x = uniform(n * K, -2, 2)
    const model = linearHeadTrainable(head, K)
    await checkGradients(model, x, ([w, b]) => {
      const out = new Float64Array(n * C)
      for (let i = 0; i < n; i++)
        for (let o = 0; o < C; o++) {
          out[i * C + o] = b[o]
          for (let k = 0; k < K; k++) out[i * C + o] += w[o * K + k] * x[i * K + k]
        }
      return out
    })
  })

  it('the last pointwise block with ReLU6 and the head: logits and gradients, saturated cells included', async () => {
    // Inputs and weights chosen so pre-activations fall on both sides of 0 and of 6, away from the kinks.
    const block = { weight: uniform(K * Cin, -1.5, 2.5), bias: uniform(K, -1, 1), activation: 'relu6' as const, inChannels: Cin }
    const x = uniform(n * cells * Cin, 0, 3)
    const model = blockTrainable(block, { weight: uniform(C * K, -1, 1), bias: uniform(C, -1, 1) }, cells, 0.1)
    const params = model.params.map((p) => Float64Array.from(p.data))
    const z: number[] = []
    for (let r = 0; r < n * cells; r++)
      for (let k = 0; k < K; k++) {
        let s = params[1][k]
        for (let j = 0; j < Cin; j++) s += params[0][k * Cin + j] * x[r * Cin + j]
        z.push(s)
      }
    expect(z.some((v) => v < 0) && z.some((v) => v > 6) && z.some((v) => v > 0 && v < 6)).toBe(true)
    expect(Math.min(...z.map((v) => Math.min(Math.abs(v), Math.abs(v - 6))))).toBeGreaterThan(1e-3)
    expect(model.params.map((p) => p.lrScale)).toEqual([0.1, 0.1, 1, 1])
    await checkGradients(model, x, (p) => referenceLogits(p, x, 'relu6'))
  })

  it('a block without activation', async () => {
    const block = { weight: uniform(K * Cin, -1, 1), bias: uniform(K, -1, 1), activation: 'none' as const, inChannels: Cin }
    const x = uniform(n * cells * Cin, -3, 3)
    await checkGradients(blockTrainable(block, { weight: uniform(C * K, -1, 1), bias: uniform(C, -1, 1) }, cells, 1), x, (p) =>
      referenceLogits(p, x, 'none'),
    )
  })

  it('dropout zeroes pooled features with the generator, scaling the kept ones', async () => {
    const head = { weight: uniform(C * K, -1, 1), bias: new Float32Array(C) }
    const x = uniform(n * K, 1, 2)
    const model = linearHeadTrainable(head, K)
    const all = await model.backward(x, n, { keep: 1, random: seededRandom(3) }, () => R)
    const dropped = await model.backward(x, n, { keep: 0.5, random: seededRandom(3) }, () => R)
    expect(Array.from(dropped[0])).not.toEqual(Array.from(all[0]))
    // Bias gradients do not depend on the inputs.
    expect(Array.from(dropped[1])).toEqual(Array.from(all[1]))
  })
})

/**
 * The CAM loss against a float64 reference written from its definition (−log of the softmax mass of
 * CAM_c inside the box): its value, and the gradient of label loss + λ · box loss for every parameter
 * by central differences; a row without boxes and a box on a finding leave the others untouched.
 */
describe('box supervision (CAM loss)', () => {
  const targets = [
    [
      { finding: 0, mask: Uint8Array.of(1, 1, 0, 0) },
      { finding: 2, mask: Uint8Array.of(0, 0, 0, 1) },
    ],
    null,
    [{ finding: 1, mask: Uint8Array.of(0, 1, 1, 0) }],
  ]
  const lambda = 0.7

  function referenceBoxLoss(p: Float64Array[], x: Float32Array): number {
    const [wb, bb, wh] = p
    let total = 0
    targets.forEach((list, i) => {
      for (const t of list ?? []) {
        const cam = Array.from({ length: cells }, (_, s) => {
          let v = 0
          for (let k = 0; k < K; k++) {
            let z = bb[k]
            for (let j = 0; j < Cin; j++) z += wb[k * Cin + j] * x[(i * cells + s) * Cin + j]
            v += wh[t.finding * K + k] * Math.min(6, Math.max(0, z))
          }
          return v
        })
        const all = cam.reduce((s, v) => s + Math.exp(v), 0)
        const inside = cam.reduce((s, v, c) => s + (t.mask[c] ? Math.exp(v) : 0), 0)
        total += -Math.log(inside / all)
      }
    })
    return total
  }

  it('matches its definition and its gradient matches central differences, through the block and the head', async () => {
    const block = { weight: uniform(K * Cin, -1.5, 2.5), bias: uniform(K, -1, 1), activation: 'relu6' as const, inChannels: Cin }
    const x = uniform(n * cells * Cin, 0, 3)
    const model = blockTrainable(block, { weight: uniform(C * K, -1, 1), bias: uniform(C, -1, 1) }, cells, 0.1)
    const params = model.params.map((p) => Float64Array.from(p.data))
    let reported = 0
    const grads = await model.backward(x, n, { keep: 1, random }, () => R, { weight: lambda, targets, onLoss: (l) => (reported = l) })
    const total = (p: Float64Array[]) => lossOf(referenceLogits(p, x, 'relu6')) + (lambda / n) * referenceBoxLoss(p, x)
    expect(reported).toBeCloseTo(lambda * referenceBoxLoss(params, x), 4)
    expect(reported).toBeGreaterThan(0)
    const h = 1e-4
    let checked = 0
    params.forEach((p, pi) => {
      for (let i = 0; i < p.length; i++) {
        const saved = p[i]
        p[i] = saved + h
        const up = total(params)
        p[i] = saved - h
        const down = total(params)
        p[i] = saved
        expect(grads[pi][i], `${model.params[pi].name}[${i}]`).toBeCloseTo((up - down) / (2 * h), 3)
        checked++
      }
    })
    expect(checked).toBe(K * Cin + K + C * K + C)
    // The box term moves the weights: the same batch without it gives another gradient.
    const plain = await model.backward(x, n, { keep: 1, random }, () => R)
    expect(Math.max(...Array.from(plain[0], (v, i) => Math.abs(v - grads[0][i])))).toBeGreaterThan(1e-3)
  })

  it('the class activation maps are the head applied per cell: their mean plus the bias is the logit', async () => {
    const head = { weight: uniform(C * K, -1, 1), bias: uniform(C, -1, 1) }
    const block = { weight: uniform(K * Cin, -1, 1), bias: uniform(K, -1, 1), activation: 'relu6' as const, inChannels: Cin }
    const x = uniform(n * cells * Cin, 0, 3)
    const model = blockTrainable(block, head, cells, 1)
    const cams = await model.cams!(x, n)
    const logits = await model.forward(x, n)
    for (let i = 0; i < n; i++)
      for (let c = 0; c < C; c++) {
        let s = 0
        for (let cell = 0; cell < cells; cell++) s += cams[(i * cells + cell) * C + c]
        expect(s / cells + head.bias[c]).toBeCloseTo(logits[i * C + c], 4)
      }
  })
})
