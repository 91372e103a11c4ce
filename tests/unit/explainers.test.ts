import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { blurTensor, gridRegions, composeMasked } from '../../src/main/model/imageOps'
import { exactShapley } from '../../src/main/explain/kernelShap'
import { layerShap, meanFeatures } from '../../src/main/explain/layerShap'
import { kernelShapGrid, occlusionGrid } from '../../src/main/explain/perturbationMethods'
import { checkMethodSupported, METHOD_RUNNERS, runMethod } from '../../src/main/explain/methods'
import { scoreCam, topChannels } from '../../src/main/explain/scoreCam'
import { blurBackground } from '../../src/main/analysis/backgrounds'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import { EXPLAIN_METHOD_FACTS, EXPLAIN_METHODS, isExplainMethod } from '../../src/shared/explainMethods'
import { loadModelPackage } from '../../src/main/model/modelPackage'

const FIXTURES = resolve(__dirname, '../fixtures/engine')
const engine = new InferenceEngine({ providers: ['cpu'], threads: 1 })
afterAll(() => engine.close())

function fixture(id: string) {
  const pkg = loadModelPackage(join(FIXTURES, id))
  const reference = JSON.parse(readFileSync(join(FIXTURES, id, 'reference.json'), 'utf8')) as {
    inputs: Array<{ name: string; data: number[] }>
  }
  const input = (name: string) => Float32Array.from(reference.inputs.find((i) => i.name === name)!.data)
  return { pkg, nih: input('nih'), noise: input('noise') }
}

describe('Kernel SHAP on a real ONNX network', () => {
  const { pkg, nih } = fixture('tiny-mlp-head')
  const background = blurTensor(nih, pkg.manifest, 4)

  it('sums to f(x) − f(background) for every finding within 1e-4', async () => {
    const result = await kernelShapGrid({ pkg, engine, image: nih, background }, { grid: 6, samples: 1000, seed: 5 })
    expect(result.maps).toHaveLength(14)
    const out = await engine.run(pkg, Float32Array.from([...nih, ...background]), 2)
    result.maps.forEach((map, c) => {
      const sum = map.reduce((a, b) => a + b, 0)
      expect(Math.abs(sum - (out.probabilities[c] - out.probabilities[14 + c]))).toBeLessThan(1e-4)
    })
  })

  it('matches exact Shapley values of the same network when the grid is small enough to enumerate', async () => {
    const grid = 3
    const result = await kernelShapGrid({ pkg, engine, image: nih, background }, { grid, samples: 2 ** 9 })
    expect(result.shap.exact).toBe(true)
    const labels = gridRegions(64, 64, grid)
    const exact = await exactShapley(async (masks) => {
      const out = await engine.run(pkg, composeMasked(nih, background, labels, masks, pkg.manifest), masks.length)
      return masks.map((_, n) => Float64Array.from(out.probabilities.subarray(n * 14, (n + 1) * 14)))
    }, 9)
    result.maps.forEach((map, c) => map.forEach((v, m) => expect(v).toBeCloseTo(exact[c][m], 6)))
  })
})

describe('occlusion sensitivity', () => {
  const { pkg, nih } = fixture('tiny-resnet')

  it('is zero everywhere when the occluder equals the image, and not otherwise', async () => {
    const same = await occlusionGrid({ pkg, engine, image: nih, background: nih }, { grid: 8 })
    expect(same.maps.every((map) => map.every((v) => Math.abs(v) < 1e-7))).toBe(true)
    const blurred = await occlusionGrid({ pkg, engine, image: nih, background: blurTensor(nih, pkg.manifest, 4) }, { grid: 8 })
    expect(blurred.height).toBe(8)
    expect(blurred.maps.some((map) => map.some((v) => Math.abs(v) > 1e-5))).toBe(true)
  })
})

describe('exact last-layer SHAP', () => {
  it('sums, per finding, to the network logit minus the logit of the background expectation', async () => {
    const { pkg, nih, noise } = fixture('tiny-densenet')
    const [K, h, w] = pkg.manifest.outputs.features.shape
    const bg = await engine.run(pkg, Float32Array.from([...noise, ...blurTensor(nih, pkg.manifest, 4)]), 2)
    const x = await engine.run(pkg, nih, 1)
    const backgroundMean = meanFeatures(bg.features, 2)
    const maps = layerShap({ data: x.features, channels: K, height: h, width: w }, backgroundMean, pkg.head)
    maps.forEach((map, c) => {
      const expected = x.logits[c] - (bg.logits[c] + bg.logits[14 + c]) / 2 // linear head: f(E[A]) = E[f(A)]
      expect(map.reduce((a, b) => a + b, 0)).toBeCloseTo(expected, 4)
    })
  })

  it('refuses a head with hidden layers', () => {
    const { pkg } = fixture('tiny-mlp-head')
    expect(() =>
      layerShap({ data: new Float32Array(32 * 64), channels: 32, height: 8, width: 8 }, new Float32Array(32 * 64), pkg.head),
    ).toThrow(/linear head/)
  })
})

describe('the explanation-method registry', () => {
  const { pkg, nih } = fixture('tiny-resnet')
  const [K, h, w] = pkg.manifest.outputs.features.shape

  it('has facts and a runner for exactly the same ids, and every fact is stated', () => {
    expect(Object.keys(METHOD_RUNNERS).sort()).toEqual([...EXPLAIN_METHODS].sort())
    for (const id of EXPLAIN_METHODS) {
      const f = EXPLAIN_METHOD_FACTS[id]
      expect(['probability', 'logit', 'arbitrary'], id).toContain(f.units)
      expect(['feature-map', 'grid', 'patch'], id).toContain(f.resolution)
      expect(f.label.length && f.definition.length > 40 && f.cost.length && f.sanity.length, id).toBeTruthy()
      // a signed map has units a sign means something in; a relative score is min–max scaled
      expect(f.signed, id).toBe(f.units !== 'arbitrary')
    }
    expect(isExplainMethod('scorecam')).toBe(true)
    expect(isExplainMethod('magic')).toBe(false)
    expect(isExplainMethod('toString')).toBe(false)
  })

  it('runs every method through one entry point; maps have the declared resolution, and classSpecific is what the maps do', async () => {
    const out = await engine.run(pkg, nih, 1)
    const features = { data: out.features, channels: K, height: h, width: w }
    const background = blurBackground(engine, pkg, nih)
    for (const method of EXPLAIN_METHODS) {
      const facts = EXPLAIN_METHOD_FACTS[method]
      const result = await runMethod(method, {
        pkg,
        engine,
        image: nih,
        features,
        background: facts.needsBackground ? background : null,
        options: { grid: 4, samples: 64, channels: 8 },
      })
      expect(result.maps, method).toHaveLength(14)
      const [mh, mw] = facts.resolution === 'feature-map' ? [h, w] : [4, 4]
      expect([result.height, result.width], method).toEqual([mh, mw])
      result.maps.forEach((m) => expect(m.length, method).toBe(mh * mw))
      const distinct = new Set(result.maps.map((m) => Array.from(m, (v) => v.toPrecision(6)).join(','))).size
      if (facts.classSpecific) expect(distinct, `${method}: maps differ between findings`).toBeGreaterThan(1)
      else expect(distinct, `${method}: one map for every finding`).toBe(1)
      if (facts.needsBackground) {
        await expect(
          runMethod(method, { pkg, engine, image: nih, features, background: null, options: { grid: 4, samples: 64 } }),
          method,
        ).rejects.toThrow(/needs a background/)
      }
    }
  })

  it('states the units it computes in: Kernel SHAP sums to Δ probability, layer SHAP to Δ logit', async () => {
    const out = await engine.run(pkg, nih, 1)
    const features = { data: out.features, channels: K, height: h, width: w }
    const background = blurBackground(engine, pkg, nih)
    const bg = await engine.run(pkg, background.tensor, 1)
    const sums = async (method: 'kernelshap' | 'layershap') =>
      (await runMethod(method, { pkg, engine, image: nih, features, background, options: { grid: 3, samples: 2 ** 9 } })).maps.map((m) =>
        Array.from(m).reduce((a, b) => a + b, 0),
      )
    expect(EXPLAIN_METHOD_FACTS.kernelshap.units).toBe('probability')
    ;(await sums('kernelshap')).forEach((s, c) => expect(s).toBeCloseTo(out.probabilities[c] - bg.probabilities[c], 4))
    expect(EXPLAIN_METHOD_FACTS.layershap.units).toBe('logit')
    ;(await sums('layershap')).forEach((s, c) => expect(s).toBeCloseTo(out.logits[c] - bg.logits[c], 4))
  })

  it('refuses a method the head cannot run, naming model and method', () => {
    const mlp = fixture('tiny-mlp-head').pkg
    for (const method of EXPLAIN_METHODS) {
      if (EXPLAIN_METHOD_FACTS[method].needsLinearHead)
        expect(() => checkMethodSupported(mlp, method)).toThrow(
          new RegExp(`tiny-mlp-head .*${EXPLAIN_METHOD_FACTS[method].label.replace(/[()]/g, '.')} needs a linear head`),
        )
      else expect(() => checkMethodSupported(mlp, method)).not.toThrow()
    }
  })
})

describe('Score-CAM', () => {
  const { pkg, nih } = fixture('tiny-resnet')
  const [K, h, w] = pkg.manifest.outputs.features.shape

  it('takes the channels of highest mean activation, all of them when N ≥ K, and refuses a bad N', async () => {
    const out = await engine.run(pkg, nih, 1)
    const features = { data: out.features, channels: K, height: h, width: w }
    const means = Array.from({ length: K }, (_, k) => out.features.subarray(k * h * w, (k + 1) * h * w).reduce((a, b) => a + b, 0))
    const top = topChannels(features, 5)
    expect(top).toHaveLength(5)
    const cutoff = Math.min(...top.map((k) => means[k]))
    expect(means.filter((m) => m > cutoff)).toHaveLength(4)
    expect(topChannels(features, 10_000)).toHaveLength(K)
    await expect(scoreCam({ pkg, engine, image: nih, features }, { channels: 0 })).rejects.toThrow(/channels must be a positive integer/)
    await expect(scoreCam({ pkg, engine, image: nih.subarray(1), features }, { channels: 4 })).rejects.toThrow(/the input has 4095 values/)
  })

  it('stops when cancelled between batches', async () => {
    const out = await engine.run(pkg, nih, 1)
    const controller = new AbortController()
    controller.abort()
    await expect(
      scoreCam(
        { pkg, engine, image: nih, features: { data: out.features, channels: K, height: h, width: w } },
        { channels: K, signal: controller.signal },
      ),
    ).rejects.toThrow(/cancelled/)
  })
})
