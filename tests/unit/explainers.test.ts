import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { blurTensor, gridRegions, composeMasked } from '../../src/main/explain/imageOps'
import { exactShapley } from '../../src/main/explain/kernelShap'
import { layerShap, meanFeatures } from '../../src/main/explain/layerShap'
import { kernelShapGrid, occlusionGrid } from '../../src/main/explain/perturbationMethods'
import { InferenceEngine } from '../../src/main/inference/inferenceEngine'
import { loadModelPackage } from '../../src/main/inference/modelPackage'

const FIXTURES = resolve(__dirname, '../fixtures/engine')
const engine = new InferenceEngine({ providers: ['cpu'], threads: 1 })
afterAll(() => engine.close())

function fixture(id: string) {
  const pkg = loadModelPackage(join(FIXTURES, id))
  const reference = JSON.parse(readFileSync(join(FIXTURES, id, 'reference.json'), 'utf8')) as { inputs: Array<{ name: string; data: number[] }> }
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
    expect(() => layerShap({ data: new Float32Array(32 * 64), channels: 32, height: 8, width: 8 }, new Float32Array(32 * 64), pkg.head)).toThrow(/linear head/)
  })
})
