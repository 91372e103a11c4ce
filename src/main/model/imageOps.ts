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

/**
 * A label map as runs of consecutive tensor indices that share a region: per channel plane and row
 * for NCHW, per row with the channels interleaved for NHWC. Composing a masked image is then one
 * tight copy loop per run instead of a label lookup and an index computation per value, which made
 * masking (not inference) the largest cost of Kernel SHAP and occlusion beside a fast model.
 */
export interface RegionRuns {
  /** [start, end) of every run, in tensor index order */
  starts: Int32Array
  ends: Int32Array
  regions: Int32Array
  size: number
}

export function regionRuns(labels: Int32Array, manifest: ModelManifest): RegionRuns {
  const { channels, height, width, size } = inputGeometry(manifest)
  if (labels.length !== height * width) throw new Error(`label map has ${labels.length} pixels; ${height}×${width} expected`)
  const starts: number[] = []
  const ends: number[] = []
  const regions: number[] = []
  // `stride` is how many tensor values one pixel step moves within a run (1 per plane, or all channels).
  const push = (base: number, y: number, stride: number) => {
    let x0 = 0
    for (let x = 1; x <= width; x++) {
      if (x < width && labels[y * width + x] === labels[y * width + x0]) continue
      starts.push(base + x0 * stride)
      ends.push(base + x * stride)
      regions.push(labels[y * width + x0])
      x0 = x
    }
  }
  if (manifest.input.layout === 'NCHW') {
    for (let c = 0; c < channels; c++) for (let y = 0; y < height; y++) push(c * height * width + y * width, y, 1)
  } else for (let y = 0; y < height; y++) push(y * width * channels, y, channels)
  return { starts: Int32Array.from(starts), ends: Int32Array.from(ends), regions: Int32Array.from(regions), size }
}

/**
 * Writes one image per mask into `out` from offset 0 (kept regions from `image`, the rest from
 * `background`), reusing the caller's buffer so a batch costs no allocation.
 */
export function composeMaskedInto(
  out: Float32Array,
  image: Float32Array,
  background: Float32Array,
  runs: RegionRuns,
  masks: readonly Uint8Array[],
): Float32Array {
  const { starts, ends, regions, size } = runs
  if (out.length < size * masks.length) throw new Error(`batch buffer holds ${out.length} values; ${size * masks.length} needed`)
  for (let n = 0; n < masks.length; n++) {
    const mask = masks[n]
    const offset = n * size
    // The source covering more regions is copied whole (a memcpy); only the other one's runs loop.
    let kept = 0
    for (let m = 0; m < mask.length; m++) kept += mask[m] ? 1 : 0
    const keepMost = kept * 2 >= mask.length
    out.set(keepMost ? image.subarray(0, size) : background.subarray(0, size), offset)
    const other = keepMost ? background : image
    for (let r = 0; r < starts.length; r++) {
      if ((mask[regions[r]] ? 1 : 0) === (keepMost ? 1 : 0)) continue
      for (let i = starts[r], end = ends[r]; i < end; i++) out[offset + i] = other[i]
    }
  }
  return out
}

/** Composes one image per mask: pixels of kept regions from `image`, the rest from `background`. */
export function composeMasked(
  image: Float32Array,
  background: Float32Array,
  labels: Int32Array,
  masks: Uint8Array[],
  manifest: ModelManifest,
): Float32Array {
  const runs = regionRuns(labels, manifest)
  return composeMaskedInto(new Float32Array(runs.size * masks.length), image, background, runs, masks)
}
