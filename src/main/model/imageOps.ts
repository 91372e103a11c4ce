import type { ModelManifest } from './manifest'

/** Plane geometry of a model input tensor (one image). */
export function inputGeometry(manifest: ModelManifest) {
  const channels = manifest.input.channels === 'gray' ? 1 : 3
  return {
    channels,
    height: manifest.input.height,
    width: manifest.input.width,
    size: channels * manifest.input.height * manifest.input.width,
  }
}

/** Index of channel c at (y, x) in the manifest's layout. */
export function tensorIndex(manifest: ModelManifest, c: number, y: number, x: number): number {
  const { channels, height, width } = inputGeometry(manifest)
  return manifest.input.layout === 'NCHW' ? c * height * width + y * width + x : (y * width + x) * channels + c
}

/**
 * Gaussian blur of a preprocessed tensor (separable, edges clamped): the default "feature removed"
 * image for SHAP and occlusion, which keeps overall intensity and removes local structure.
 */
export function blurTensor(tensor: Float32Array, manifest: ModelManifest, sigma: number): Float32Array {
  const { channels, height, width } = inputGeometry(manifest)
  const radius = Math.max(1, Math.ceil(sigma * 3))
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)))
  const norm = kernel.reduce((a, b) => a + b, 0)
  const out = new Float32Array(tensor.length)
  const row = new Float64Array(width * height)
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let s = 0
        for (let k = -radius; k <= radius; k++)
          s += kernel[k + radius] * tensor[tensorIndex(manifest, c, y, Math.min(width - 1, Math.max(0, x + k)))]
        row[y * width + x] = s / norm
      }
    }
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let s = 0
        for (let k = -radius; k <= radius; k++) s += kernel[k + radius] * row[Math.min(height - 1, Math.max(0, y + k)) * width + x]
        out[tensorIndex(manifest, c, y, x)] = s / norm
      }
    }
  }
  return out
}

/** Region id of every pixel for a G×G grid over the input (row-major regions). */
export function gridRegions(height: number, width: number, grid: number): Int32Array {
  const labels = new Int32Array(height * width)
  for (let y = 0; y < height; y++) {
    const gy = Math.min(grid - 1, Math.floor((y * grid) / height))
    for (let x = 0; x < width; x++) labels[y * width + x] = gy * grid + Math.min(grid - 1, Math.floor((x * grid) / width))
  }
  return labels
}

/** Composes one image per mask: pixels of kept regions from `image`, the rest from `background`. */
export function composeMasked(
  image: Float32Array,
  background: Float32Array,
  labels: Int32Array,
  masks: Uint8Array[],
  manifest: ModelManifest,
): Float32Array {
  const { channels, height, width, size } = inputGeometry(manifest)
  const batch = new Float32Array(size * masks.length)
  masks.forEach((mask, n) => {
    const offset = n * size
    for (let c = 0; c < channels; c++) {
      for (let p = 0; p < height * width; p++) {
        const i = tensorIndex(manifest, c, Math.floor(p / width), p % width)
        batch[offset + i] = mask[labels[p]] ? image[i] : background[i]
      }
    }
  })
  return batch
}
