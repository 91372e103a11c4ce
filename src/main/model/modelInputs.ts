import type { ModelManifest } from './manifest'
import { preprocessImage } from './preprocess'

/**
 * The model-input pixels of one image, before normalisation: what `cxr-lens preprocess` writes for
 * offline training (training/reference reads them with `--tensors DIR`), so training sees exactly
 * the engine's decode, channel conversion and lanczos3 resize.
 *
 * They come from preprocessImage itself, the function the engine calls, run under the identity
 * normalisation (scale 1, mean 0, std 1): its output is then the resized value × 255/max, i.e. the
 * pixel on the 8-bit scale. Written before normalisation because training augments (warp,
 * brightness, contrast) on pixel values and normalises afterwards, one tensor folder serves every
 * model of the same size and channels whatever its normalisation, and 8-bit sources stay exact uint8
 * (a quarter of float32). normalizeModelInput below applies the manifest's normalisation to them with
 * the engine's arithmetic, and a unit test holds the two paths equal bit for bit.
 */
export interface ModelInputPixels {
  /** C-order [channels, height, width] (NCHW plane order, whatever the manifest's layout). */
  shape: [number, number, number]
  /** uint8 when every value is an integer 0–255 (8-bit sources); float32 on the 8-bit scale otherwise (16-bit sources). */
  data: Uint8Array | Float32Array
}

export async function modelInputPixels(image: Uint8Array | string, manifest: ModelManifest, name?: string): Promise<ModelInputPixels> {
  const identity: ModelManifest = {
    ...manifest,
    input: { ...manifest.input, layout: 'NCHW' },
    preprocess: { ...manifest.preprocess, normalization: { scale: 1, mean: [0], std: [1] } },
  }
  const values = await preprocessImage(image, identity, name)
  const channels = manifest.input.channels === 'gray' ? 1 : 3
  const shape: [number, number, number] = [channels, manifest.input.height, manifest.input.width]
  const integral = values.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)
  return { shape, data: integral ? Uint8Array.from(values) : values }
}

/**
 * The engine's input tensor from the pixels above: ((v / scale) − mean) / std per channel in double
 * precision, rounded once to float32, laid out as the manifest says. This is preprocessImage's own
 * arithmetic after its `× 255/max` step (exact for 8-bit sources); training/reference/common.py's
 * normalize() repeats it in float64.
 */
export function normalizeModelInput(pixels: ModelInputPixels, manifest: ModelManifest): Float32Array {
  const [channels, height, width] = pixels.shape
  const plane = height * width
  const { scale, mean, std } = manifest.preprocess.normalization
  const out = new Float32Array(pixels.data.length)
  for (let c = 0; c < channels; c++) {
    const m = mean[Math.min(c, mean.length - 1)]
    const s = std[Math.min(c, std.length - 1)]
    for (let p = 0; p < plane; p++) {
      const value = (pixels.data[c * plane + p] / scale - m) / s
      if (manifest.input.layout === 'NCHW') out[c * plane + p] = value
      else out[p * channels + c] = value
    }
  }
  return out
}
