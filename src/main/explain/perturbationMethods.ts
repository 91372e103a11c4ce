import type { InferenceEngine } from '../model/inferenceEngine'
import type { ModelPackage } from '../model/modelPackage'
import { composeMaskedInto, gridRegions, inputGeometry, regionRuns } from '../model/imageOps'
import { kernelShap, type ShapResult } from './kernelShap'

export interface PerturbationInput {
  pkg: ModelPackage
  engine: InferenceEngine
  /** The preprocessed image. */
  image: Float32Array
  /** The "removed" image: blurred image or mean of background cases, same shape. */
  background: Float32Array
  signal?: AbortSignal
  onProgress?: (done: number, total: number) => void
}

export interface RegionMaps {
  height: number
  width: number
  /** One map per finding (row-major height×width). */
  maps: Float64Array[]
}

/**
 * Probabilities for masked images, batched through the engine. The batch buffer is allocated once
 * and refilled for every batch, and masking is one copy loop per region run (`regionRuns`), so what
 * remains beside inference is a fraction of a millisecond per image. (Building the next batch while
 * the current one runs would not help: onnxruntime-node runs a session synchronously on the JS
 * thread, inside a setImmediate, so there is no idle JS time to fill.)
 */
function coalitionModel(input: PerturbationInput, labels: Int32Array, batchSize: number) {
  const classes = input.pkg.manifest.findings.length
  const runs = regionRuns(labels, input.pkg.manifest)
  for (const [name, tensor] of [
    ['image', input.image],
    ['background', input.background],
  ] as const)
    if (tensor.length !== runs.size) throw new Error(`the ${name} has ${tensor.length} values, the model takes ${runs.size}`)
  let buffer = new Float32Array(0)
  return async (masks: Uint8Array[]): Promise<Float64Array[]> => {
    const results: Float64Array[] = []
    for (let start = 0; start < masks.length; start += batchSize) {
      const chunk = masks.slice(start, start + batchSize)
      if (buffer.length < runs.size * chunk.length) buffer = new Float32Array(runs.size * Math.min(batchSize, masks.length))
      const batch = composeMaskedInto(buffer, input.image, input.background, runs, chunk).subarray(0, runs.size * chunk.length)
      const { probabilities } = await input.engine.run(input.pkg, batch, chunk.length)
      for (let n = 0; n < chunk.length; n++) results.push(Float64Array.from(probabilities.subarray(n * classes, (n + 1) * classes)))
    }
    return results
  }
}

/**
 * Kernel SHAP over a G×G grid of image regions, on the model's probabilities: per finding, each
 * region's Shapley value; the values of a finding add up to f(x) − f(background).
 */
export async function kernelShapGrid(
  input: PerturbationInput,
  options: { grid: number; samples: number; batchSize?: number; seed?: number },
): Promise<RegionMaps & { shap: ShapResult }> {
  const { height, width } = inputGeometry(input.pkg.manifest)
  const labels = gridRegions(height, width, options.grid)
  const shap = await kernelShap(coalitionModel(input, labels, options.batchSize ?? 32), options.grid * options.grid, {
    samples: options.samples,
    batchSize: 256,
    seed: options.seed,
    signal: input.signal,
    onProgress: input.onProgress,
  })
  return { height: options.grid, width: options.grid, maps: shap.values, shap }
}

/**
 * Occlusion sensitivity (Zeiler & Fergus): slide a patch of background over the image and record the
 * drop in each finding's probability; each cell of the map is the mean drop over patches covering it.
 */
export async function occlusionGrid(input: PerturbationInput, options: { grid: number; batchSize?: number }): Promise<RegionMaps> {
  const { height, width } = inputGeometry(input.pkg.manifest)
  const G = options.grid
  // Patches of 2×2 cells moved one cell at a time: every cell is covered by up to four patches.
  const labels = gridRegions(height, width, G)
  const patches: Uint8Array[] = []
  const covers: number[][] = []
  for (let py = 0; py < G - 1; py++) {
    for (let px = 0; px < G - 1; px++) {
      const cells = [py * G + px, py * G + px + 1, (py + 1) * G + px, (py + 1) * G + px + 1]
      const mask = new Uint8Array(G * G).fill(1)
      for (const cell of cells) mask[cell] = 0
      patches.push(mask)
      covers.push(cells)
    }
  }
  const model = coalitionModel(input, labels, options.batchSize ?? 32)
  const [full] = await model([new Uint8Array(G * G).fill(1)])
  const classes = full.length
  const sums = Array.from({ length: classes }, () => new Float64Array(G * G))
  const counts = new Float64Array(G * G)
  for (let start = 0; start < patches.length; start += 64) {
    if (input.signal?.aborted) throw new Error('occlusion cancelled')
    const outputs = await model(patches.slice(start, start + 64))
    outputs.forEach((out, i) => {
      for (const cell of covers[start + i]) {
        counts[cell] += 1
        for (let c = 0; c < classes; c++) sums[c][cell] += full[c] - out[c]
      }
    })
    input.onProgress?.(Math.min(start + 64, patches.length), patches.length)
  }
  return { height: G, width: G, maps: sums.map((sum) => sum.map((v, cell) => (counts[cell] ? v / counts[cell] : 0))) }
}
