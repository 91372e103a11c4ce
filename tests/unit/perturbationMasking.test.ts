import { join, resolve } from 'node:path'
import { readFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { kernelShap, shapleyKernel, type CoalitionModel } from '../../src/main/explain/kernelShap'
import { solveSpd } from '../../src/main/explain/linearSolve'
import { kernelShapGrid, occlusionGrid } from '../../src/main/explain/perturbationMethods'
import { blurTensor, composeMasked, gridRegions, tensorIndex } from '../../src/main/model/imageOps'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import type { ModelManifest } from '../../src/main/model/manifest'
import { loadModelPackage } from '../../src/main/model/modelPackage'
import { seededRandom } from '../../src/shared/random'

/** The per-value compose the run-based one replaced: the definition it must reproduce exactly. */
function composeByPixel(image: Float32Array, background: Float32Array, labels: Int32Array, masks: Uint8Array[], manifest: ModelManifest) {
  const channels = manifest.input.channels === 'gray' ? 1 : 3
  const { height, width } = manifest.input
  const size = channels * height * width
  const batch = new Float32Array(size * masks.length)
  masks.forEach((mask, n) => {
    for (let c = 0; c < channels; c++)
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) {
          const i = tensorIndex(manifest, c, y, x)
          batch[n * size + i] = mask[labels[y * width + x]] ? image[i] : background[i]
        }
  })
  return batch
}

function manifestOf(layout: 'NCHW' | 'NHWC', channels: 'gray' | 'rgb', height: number, width: number): ModelManifest {
  return { input: { name: 'x', layout, channels, height, width } } as ModelManifest
}

describe('composing masked images from region runs', () => {
  const random = seededRandom(7)
  for (const [layout, channels, height, width] of [
    ['NCHW', 'rgb', 30, 22],
    ['NHWC', 'rgb', 17, 29],
    ['NCHW', 'gray', 64, 64],
    ['NHWC', 'gray', 9, 13],
  ] as const) {
    it(`equals the per-pixel definition (${layout}, ${channels}, ${height}×${width}), for a grid and for ragged regions`, () => {
      const manifest = manifestOf(layout, channels, height, width)
      const size = (channels === 'gray' ? 1 : 3) * height * width
      const image = Float32Array.from({ length: size }, () => random())
      const background = Float32Array.from({ length: size }, () => -random())
      // a grid that does not divide the image, and labels that change every few pixels
      const grid = gridRegions(height, width, 5)
      const ragged = Int32Array.from({ length: height * width }, () => Math.floor(random() * 4))
      for (const [labels, regions] of [
        [grid, 25],
        [ragged, 4],
      ] as const) {
        // mostly kept, mostly removed, everything and nothing: both ways of composing are exercised
        const masks = [0.5, 0.8, 0.2, 0.9, 0.1, 1, 0].map((keep) => Uint8Array.from({ length: regions }, () => (random() < keep ? 1 : 0)))
        expect(composeMasked(image, background, labels, masks, manifest)).toEqual(
          composeByPixel(image, background, labels, masks, manifest),
        )
      }
    })
  }

  it('refuses a label map of another size', () => {
    const manifest = manifestOf('NCHW', 'gray', 8, 8)
    expect(() => composeMasked(new Float32Array(64), new Float32Array(64), new Int32Array(63), [new Uint8Array(1)], manifest)).toThrow(
      /label map has 63 pixels; 8×8 expected/,
    )
  })
})

describe('Kernel SHAP with its regression accumulated batch by batch', () => {
  /** A nonlinear toy model that also records every coalition it was asked, in order. */
  function recordingModel(M: number) {
    const seen: Uint8Array[] = []
    const model: CoalitionModel = async (masks) => {
      seen.push(...masks.map((m) => Uint8Array.from(m)))
      return masks.map((z) => {
        const s = z.reduce((a, v, m) => a + v * Math.cos(m), 0)
        return Float64Array.of(Math.tanh(s) + z[0] * z[M - 1], 1 / (1 + Math.exp(-s)))
      })
    }
    return { model, seen }
  }

  /** The regression as it was computed before: all outputs first, then one pass over every mask. */
  async function afterwards(model: CoalitionModel, masks: Uint8Array[], weights: number[], M: number) {
    const [base, full] = await model([new Uint8Array(M), new Uint8Array(M).fill(1)])
    const outputs = await model(masks)
    const n = M - 1
    const xtx = new Float64Array(n * n)
    const xty = Array.from({ length: base.length }, () => new Float64Array(n))
    masks.forEach((mask, i) => {
      const last = mask[M - 1]
      for (let a = 0; a < n; a++) {
        const xa = mask[a] - last
        if (xa === 0) continue
        for (let b = 0; b < n; b++) xtx[a * n + b] += weights[i] * xa * (mask[b] - last)
        for (let c = 0; c < base.length; c++) xty[c][a] += weights[i] * xa * (outputs[i][c] - base[c] - last * (full[c] - base[c]))
      }
    })
    return solveSpd(xtx, n, xty).map((phi, c) => Float64Array.from([...phi, full[c] - base[c] - phi.reduce((a, b) => a + b, 0)]))
  }

  for (const [label, M, samples] of [
    ['sampled', 12, 300],
    ['exact', 6, 62],
  ] as const) {
    it(`gives bit-for-bit the values of the one-pass regression (${label}), whatever the batch size`, async () => {
      const { model, seen } = recordingModel(M)
      const shap = await kernelShap(model, M, { samples, seed: 4, batchSize: 7 })
      const masks = seen.slice(2)
      const weights = masks.map((mask) =>
        shap.exact
          ? shapleyKernel(
              M,
              mask.reduce((a, b) => a + b, 0),
            )
          : 1,
      )
      const reference = await afterwards(recordingModel(M).model, masks, weights, M)
      expect(shap.values).toEqual(reference)
      const other = await kernelShap(recordingModel(M).model, M, { samples, seed: 4, batchSize: 64 })
      expect(other.values).toEqual(shap.values)
    })
  }

  it('refuses a model that returns another number of outputs than masks', async () => {
    const short: CoalitionModel = async (masks) => masks.slice(0, Math.max(2, masks.length - 1)).map(() => Float64Array.of(0))
    await expect(kernelShap(short, 8, { samples: 40, seed: 1 })).rejects.toThrow(/returned 39 outputs for 40 masks/)
  })
})

describe('perturbation methods on a real ONNX network', () => {
  const engine = new InferenceEngine({ providers: ['cpu'], threads: 1 })
  afterAll(() => engine.close())
  const dir = resolve(__dirname, '../fixtures/engine/tiny-resnet')
  const pkg = loadModelPackage(dir)
  const reference = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as { inputs: Array<{ name: string; data: number[] }> }
  const image = Float32Array.from(reference.inputs.find((i) => i.name === 'nih')!.data)
  const background = blurTensor(image, pkg.manifest, 4)

  it('Kernel SHAP with the reused batch buffer equals the same coalitions composed afresh per batch', async () => {
    const grid = 4
    const result = await kernelShapGrid({ pkg, engine, image, background }, { grid, samples: 200, seed: 9, batchSize: 32 })
    const labels = gridRegions(64, 64, grid)
    const fresh = await kernelShap(
      async (masks) => {
        const out: Float64Array[] = []
        for (let s = 0; s < masks.length; s += 32) {
          const chunk = masks.slice(s, s + 32)
          const run = await engine.run(pkg, composeByPixel(image, background, labels, chunk, pkg.manifest), chunk.length)
          chunk.forEach((_, n) => out.push(Float64Array.from(run.probabilities.subarray(n * 14, (n + 1) * 14))))
        }
        return out
      },
      grid * grid,
      { samples: 200, seed: 9, batchSize: 256 },
    )
    expect(result.maps).toEqual(fresh.values)
  })

  it('refuses a background of another size, naming it', async () => {
    await expect(occlusionGrid({ pkg, engine, image, background: new Float32Array(10) }, { grid: 4 })).rejects.toThrow(
      /the background has 10 values, the model takes 4096/,
    )
  })
})
