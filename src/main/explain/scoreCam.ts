import { upsampleBilinear } from '../../shared/heatmapGrid'
import type { InferenceEngine } from '../model/inferenceEngine'
import type { ModelPackage } from '../model/modelPackage'
import type { FeatureMap } from './camMethods'
import { inputGeometry, tensorIndex } from '../model/imageOps'

export interface ScoreCamOptions {
  /** Channels used, those of highest mean activation; all when ≥ K. */
  channels: number
  /** Masked images per engine call. */
  batchSize?: number
  signal?: AbortSignal
}

export interface ScoreCamResult {
  height: number
  width: number
  /** One map per finding (row-major h×w, the feature map's cells). */
  maps: Float64Array[]
  /** The channels used, highest mean activation first. */
  channels: number[]
}

/**
 * The channels of highest mean activation, ties to the lower index (so the choice is reproducible
 * and matches the fixture's reference).
 */
export function topChannels(features: FeatureMap, n: number): number[] {
  const cells = features.height * features.width
  const means = Array.from({ length: features.channels }, (_, k) => {
    let s = 0
    for (let i = 0; i < cells; i++) s += features.data[k * cells + i]
    return s / cells
  })
  const order = means.map((_, k) => k).sort((a, b) => means[b] - means[a] || a - b)
  return order.slice(0, Math.max(1, Math.min(n, features.channels)))
}

/**
 * Channel k's mask on the input: A_k upsampled bilinearly to the input size (align_corners=False,
 * as the paper's reference code does with F.interpolate), then min–max scaled to [0, 1]. A flat
 * channel carries no location: null.
 */
function channelMask(features: FeatureMap, k: number, height: number, width: number): Float32Array | null {
  const cells = features.height * features.width
  const up = upsampleBilinear(features.data.subarray(k * cells, (k + 1) * cells), features.height, features.width, height, width)
  let lo = Infinity
  let hi = -Infinity
  for (const v of up) {
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  if (!(hi - lo > 0)) return null
  for (let i = 0; i < up.length; i++) up[i] = (up[i] - lo) / (hi - lo)
  return up
}

/**
 * Score-CAM (Wang et al., CVPR-W 2020), forward passes only. For each chosen channel k the input is
 * masked by its normalized upsampled activation, X ⊙ M_k, and the network run (batched; one pass
 * serves every finding); the channel's weight for finding c is the increase of the finding's
 * sigmoid probability over the baseline X_b = 0, the all-masked input (in the preprocessed space 0 is
 * the normalization's mean intensity):  w_k = p_c(X ⊙ M_k) − p_c(0). The map is ReLU(Σ_k w_k·A_k)
 * on the feature map's cells. Unlike pytorch-grad-cam, no softmax is taken across channels: the
 * paper's confidence increase is used as it is, so the weights stay in probability units.
 */
export async function scoreCam(
  input: { pkg: ModelPackage; engine: InferenceEngine; image: Float32Array; features: FeatureMap },
  options: ScoreCamOptions,
): Promise<ScoreCamResult> {
  const { pkg, engine, image, features } = input
  const { manifest } = pkg
  const { channels, height, width, size } = inputGeometry(manifest)
  if (image.length !== size) throw new Error(`Score-CAM: the input has ${image.length} values, the model takes ${size}`)
  if (!Number.isInteger(options.channels) || options.channels < 1)
    throw new Error(`Score-CAM: channels must be a positive integer, got ${options.channels}`)
  const classes = manifest.findings.length
  const cells = features.height * features.width
  const chosen = topChannels(features, options.channels)
  const batchSize = Math.max(1, options.batchSize ?? 32)

  const baseline = (await engine.run(pkg, new Float32Array(size), 1)).probabilities
  // weights[k][c]: 0 for a flat channel (its mask would be all zeros, i.e. the baseline itself)
  const weights = chosen.map(() => new Float64Array(classes))
  for (let start = 0; start < chosen.length; start += batchSize) {
    if (options.signal?.aborted) throw new Error('Score-CAM cancelled')
    const chunk = chosen
      .slice(start, start + batchSize)
      .map((k, n) => ({ j: start + n, mask: channelMask(features, k, height, width) }))
      .filter((m): m is { j: number; mask: Float32Array } => m.mask !== null)
    if (chunk.length === 0) continue
    const batch = new Float32Array(size * chunk.length)
    chunk.forEach(({ mask }, n) => {
      const offset = n * size
      for (let c = 0; c < channels; c++) {
        for (let p = 0; p < height * width; p++) {
          const i = tensorIndex(manifest, c, Math.floor(p / width), p % width)
          batch[offset + i] = image[i] * mask[p]
        }
      }
    })
    const { probabilities } = await engine.run(pkg, batch, chunk.length)
    chunk.forEach(({ j }, n) => {
      for (let c = 0; c < classes; c++) weights[j][c] = probabilities[n * classes + c] - baseline[c]
    })
  }
  const maps = Array.from({ length: classes }, (_, c) => {
    const map = new Float64Array(cells)
    chosen.forEach((k, j) => {
      const w = weights[j][c]
      if (w === 0) return
      for (let i = 0; i < cells; i++) map[i] += w * features.data[k * cells + i]
    })
    for (let i = 0; i < cells; i++) if (map[i] < 0) map[i] = 0
    return map
  })
  return { height: features.height, width: features.width, maps, channels: chosen }
}
