import sharp from 'sharp'
import type { DecodedDicom } from './dicomDecode'

/**
 * The decoded pixels as a 16-bit gray PNG: the one format the rest of the workstation (viewer,
 * preprocessing, thumbnails) reads. Values are scaled linearly from [min, max] to [0, 65535]; the
 * file's default window is mapped the same way and kept with the case.
 */
export async function toPng16(image: DecodedDicom): Promise<{ png: Buffer; window: { center: number; width: number } | null }> {
  const range = image.max - image.min || 1
  const scale = 65535 / range
  const values = new Uint16Array(image.pixels.length)
  for (let i = 0; i < values.length; i++) values[i] = Math.round((image.pixels[i] - image.min) * scale)
  const png = await sharp(values, { raw: { width: image.width, height: image.height, channels: 1 } })
    .toColourspace('grey16')
    .png({ compressionLevel: 6 })
    .toBuffer()
  const window = image.window ? { center: (image.window.center - image.min) * scale, width: image.window.width * scale } : null
  return { png, window }
}
