import sharp, { type OutputInfo } from 'sharp'
import type { ModelManifest } from './manifest'

/** What preprocessing reads from a manifest (a worker that only decodes is sent just this). */
export type PreprocessSpec = Pick<ModelManifest, 'input' | 'preprocess'>

/** A manifest's preprocessing alone: what a decoder process is sent and a kept model input is keyed by (not the whole card). */
export function preprocessSpecOf(manifest: PreprocessSpec): PreprocessSpec {
  return { input: manifest.input, preprocess: manifest.preprocess }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/**
 * A PNG's sample range from its IHDR (bit depth at byte 24): 65535 for 16-bit, else 255, as sharp's
 * metadata() reports it. Read from the bytes in hand, it spares a round trip through the libuv pool
 * (and ~2 ms of CPU) per image, so a decode starts in the same tick it is asked for; null for
 * anything else (sharp is asked).
 */
function pngMaxValue(image: Uint8Array | string): number | null {
  if (typeof image === 'string' || image.length < 33) return null
  for (let i = 0; i < PNG_SIGNATURE.length; i++) if (image[i] !== PNG_SIGNATURE[i]) return null
  // The IHDR chunk comes first: length (4), "IHDR" (4), width (4), height (4), bit depth (1).
  if (image[12] !== 0x49 || image[13] !== 0x48 || image[14] !== 0x44 || image[15] !== 0x52) return null
  return image[24] === 16 ? 65535 : 255
}

/**
 * An image's pixels decoded once (8-bit, as sharp's raw output), which the resampler reads instead of
 * the encoded file: the import decodes each image once for its checks and thumbnail and resamples the
 * model's input from the same pixels. For an 8-bit PNG the result is bit for bit what decoding the
 * file gives (libvips resizes the same pixels); a JPEG is not passed this way, as resizing from its
 * file may shrink on load.
 */
export interface DecodedPixels {
  data: Uint8Array
  width: number
  height: number
  channels: 1 | 2 | 3 | 4
}

/**
 * The model's input before normalization: the resized pixels at the manifest's size, as sharp's raw
 * output (`channels` interleaved samples per pixel, 8-bit or 16-bit). What the model-input cache
 * keeps: normalizeResampled turns it into the tensor, the same arithmetic whichever path it took.
 */
export interface ResampledImage {
  width: number
  height: number
  channels: number
  /** 255 for 8-bit samples, 65535 for 16-bit */
  maxValue: 255 | 65535
  pixels: Uint8Array | Uint16Array
}

/**
 * The one preprocessing path (app, CLI and evaluation): decode (8/16-bit gray, RGB(A) PNG, JPEG),
 * convert to the model's channels, antialiased Lanczos resize, then (x / scale − mean) / std exactly
 * as the manifest says. 16-bit images are brought to the 8-bit range first so one `scale` serves both.
 */
export async function preprocessImage(
  image: Uint8Array | string,
  manifest: PreprocessSpec,
  name = typeof image === 'string' ? image : 'image',
): Promise<Float32Array> {
  return normalizeResampled(await resampleForModel(image, manifest, name), manifest)
}

/** What the resampler is (part of the model-input cache's key: another resampler makes other pixels). */
export const RESAMPLER = 'lanczos3'

/** Decode, channel conversion and resize of preprocessImage, without the normalization. */
export async function resampleForModel(
  image: Uint8Array | string | DecodedPixels,
  manifest: PreprocessSpec,
  name = typeof image === 'string' ? image : 'image',
): Promise<ResampledImage> {
  const { input, preprocess } = manifest
  let raw: { data: Buffer; info: OutputInfo }
  let maxValue: 255 | 65535
  try {
    const decoded = typeof image === 'string' || image instanceof Uint8Array ? null : image
    const fromHeader = decoded ? 255 : pngMaxValue(image as Uint8Array | string)
    if (fromHeader !== null) maxValue = fromHeader === 65535 ? 65535 : 255
    else {
      const meta = await sharp(image as Uint8Array | string).metadata()
      maxValue = meta.depth === 'ushort' || meta.depth === 'short' ? 65535 : 255
    }
    const wide = maxValue === 65535
    let pipeline = decoded
      ? sharp(decoded.data, { raw: { width: decoded.width, height: decoded.height, channels: decoded.channels } })
      : sharp(image as Uint8Array | string, { failOn: 'truncated' })
    // greyscale() would drop a 16-bit image to 8-bit values; the 16-bit colour spaces keep the range.
    // One grey plane of decoded pixels stays one plane for an RGB model: libvips would make the three
    // channels by copying it (b-w to sRGB) and resize each alike, and normalizeResampled repeats a
    // single channel, so the tensor is the same for a third of the resizing.
    const onePlane = decoded !== null && decoded.channels === 1
    pipeline =
      input.channels === 'gray'
        ? wide
          ? pipeline.toColourspace('grey16')
          : pipeline.greyscale()
        : onePlane
          ? pipeline.toColourspace('b-w')
          : pipeline.removeAlpha().toColourspace(wide ? 'rgb16' : 'srgb')
    pipeline = pipeline.resize({
      width: input.width,
      height: input.height,
      fit: preprocess.resize === 'stretch' ? 'fill' : 'contain',
      background: { r: 0, g: 0, b: 0, alpha: 1 },
      kernel: RESAMPLER,
    })
    raw = await pipeline.raw({ depth: maxValue === 255 ? 'uchar' : 'ushort' }).toBuffer({ resolveWithObject: true })
  } catch (error) {
    throw new Error(`${name}: cannot be prepared for the model (${(error as Error).message})`)
  }
  const pixels = maxValue === 255 ? raw.data : new Uint16Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength / 2)
  return { width: raw.info.width, height: raw.info.height, channels: raw.info.channels, maxValue, pixels }
}

/** The tensor of resampled pixels: (x · 255/max / scale − mean) / std per channel, in the manifest's layout. */
export function normalizeResampled(resampled: ResampledImage, manifest: PreprocessSpec): Float32Array {
  const { input, preprocess } = manifest
  const channels = input.channels === 'gray' ? 1 : 3
  const { pixels, maxValue, channels: got } = resampled
  const plane = input.height * input.width
  if (resampled.width !== input.width || resampled.height !== input.height || pixels.length !== plane * got)
    throw new Error(`resampled pixels are ${resampled.width}×${resampled.height}×${got}, the model takes ${input.width}×${input.height}`)
  const out = new Float32Array(plane * channels)
  const { scale, mean, std } = preprocess.normalization
  const toEight = 255 / maxValue
  for (let c = 0; c < channels; c++) {
    const m = mean[Math.min(c, mean.length - 1)]
    const s = std[Math.min(c, std.length - 1)]
    const src = Math.min(c, got - 1) // a gray image fed to an RGB model repeats its one channel
    const normalize = (v: number) => ((v * toEight) / scale - m) / s
    const at = input.layout === 'NCHW' ? (p: number) => c * plane + p : (p: number) => p * channels + c
    if (maxValue === 255) {
      // 8-bit samples take one of 256 values: each is normalized once (the same arithmetic, so the same float).
      const table = Float32Array.from({ length: 256 }, (_, v) => normalize(v))
      const bytes = pixels as Uint8Array
      if (input.layout === 'NCHW') {
        const base = c * plane
        for (let p = 0; p < plane; p++) out[base + p] = table[bytes[p * got + src]]
      } else for (let p = 0; p < plane; p++) out[at(p)] = table[bytes[p * got + src]]
    } else for (let p = 0; p < plane; p++) out[at(p)] = normalize(pixels[p * got + src])
  }
  return out
}
