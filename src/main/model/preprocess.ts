import sharp, { type OutputInfo } from 'sharp'
import type { ModelManifest } from './manifest'

/** What preprocessing reads from a manifest (a worker that only decodes is sent just this). */
export type PreprocessSpec = Pick<ModelManifest, 'input' | 'preprocess'>

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
 * The one preprocessing path (app, CLI and evaluation): decode (8/16-bit gray, RGB(A) PNG, JPEG),
 * convert to the model's channels, antialiased Lanczos resize, then (x / scale − mean) / std exactly
 * as the manifest says. 16-bit images are brought to the 8-bit range first so one `scale` serves both.
 */
export async function preprocessImage(
  image: Uint8Array | string,
  manifest: PreprocessSpec,
  name = typeof image === 'string' ? image : 'image',
): Promise<Float32Array> {
  const { input, preprocess } = manifest
  const channels = input.channels === 'gray' ? 1 : 3
  let raw: { data: Buffer; info: OutputInfo }
  let maxValue: number
  try {
    const fromHeader = pngMaxValue(image)
    if (fromHeader !== null) maxValue = fromHeader
    else {
      const meta = await sharp(image).metadata()
      maxValue = meta.depth === 'ushort' || meta.depth === 'short' ? 65535 : 255
    }
    const wide = maxValue === 65535
    let pipeline = sharp(image, { failOn: 'truncated' })
    // greyscale() would drop a 16-bit image to 8-bit values; the 16-bit colour spaces keep the range.
    pipeline =
      input.channels === 'gray'
        ? wide
          ? pipeline.toColourspace('grey16')
          : pipeline.greyscale()
        : pipeline.removeAlpha().toColourspace(wide ? 'rgb16' : 'srgb')
    pipeline = pipeline.resize({
      width: input.width,
      height: input.height,
      fit: preprocess.resize === 'stretch' ? 'fill' : 'contain',
      background: { r: 0, g: 0, b: 0, alpha: 1 },
      kernel: 'lanczos3',
    })
    raw = await pipeline.raw({ depth: maxValue === 255 ? 'uchar' : 'ushort' }).toBuffer({ resolveWithObject: true })
  } catch (error) {
    throw new Error(`${name}: cannot be prepared for the model (${(error as Error).message})`)
  }
  const pixels = maxValue === 255 ? raw.data : new Uint16Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength / 2)
  const got = raw.info.channels
  const plane = input.height * input.width
  const out = new Float32Array(plane * channels)
  const { scale, mean, std } = preprocess.normalization
  const toEight = 255 / maxValue
  for (let c = 0; c < channels; c++) {
    const m = mean[Math.min(c, mean.length - 1)]
    const s = std[Math.min(c, std.length - 1)]
    const src = Math.min(c, got - 1) // a gray image fed to an RGB model repeats its one channel
    for (let p = 0; p < plane; p++) {
      const value = ((pixels[p * got + src] * toEight) / scale - m) / s
      if (input.layout === 'NCHW') out[c * plane + p] = value
      else out[p * channels + c] = value
    }
  }
  return out
}
