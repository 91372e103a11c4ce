import sharp from 'sharp'
import { reasonOf } from './failureReason'

export const THUMBNAIL_SIZE = 192
export const IMPORTABLE_EXTENSIONS = ['.png', '.jpg', '.jpeg']

export interface DecodedImage {
  format: string
  width: number
  height: number
  bitDepth: number | null
  channels: number
  thumbnail: { mime: string; width: number; height: number; data: Uint8Array }
}

export class ImageDecodeError extends Error {
  /** `reason` without the file name, for summaries that list the name beside it */
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`)
    this.name = 'ImageDecodeError'
  }
}

const DEPTH_BITS: Record<string, number> = { uchar: 8, char: 8, ushort: 16, short: 16, uint: 32, float: 32 }

/**
 * Fully decodes and thumbnails one image. The thumbnail pass decodes every pixel, so a truncated or
 * corrupt file fails here (failOn 'truncated' and worse) instead of in the viewer later. libvips
 * runs on the libuv thread pool, so several of these in flight use all cores; its pixel limit
 * (sharp's default, 16383² pixels) refuses a small file declaring a huge image.
 */
export async function decodeImage(bytes: Uint8Array, name: string): Promise<DecodedImage> {
  try {
    const meta = await sharp(bytes).metadata()
    if (!meta.format || !['png', 'jpeg'].includes(meta.format)) {
      throw new Error(`unsupported format ${meta.format ?? 'unknown'} (PNG or JPEG expected)`)
    }
    if (!meta.width || !meta.height) throw new Error('image has no size')
    const bitDepth = meta.depth ? (DEPTH_BITS[meta.depth] ?? null) : null
    let pipeline = sharp(bytes, { failOn: 'truncated' })
      .resize({ width: THUMBNAIL_SIZE, height: THUMBNAIL_SIZE, fit: 'inside', kernel: 'lanczos3' })
      .toColourspace('b-w')
    // 16-bit radiographs rarely use the full range; stretch so the thumbnail is not black.
    if (bitDepth !== null && bitDepth > 8) pipeline = pipeline.normalise()
    const { data, info } = await pipeline.jpeg({ quality: 82 }).toBuffer({ resolveWithObject: true })
    return {
      format: meta.format,
      width: meta.width,
      height: meta.height,
      bitDepth,
      channels: meta.channels ?? 1,
      thumbnail: {
        mime: 'image/jpeg',
        width: info.width,
        height: info.height,
        data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      },
    }
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error
    throw new ImageDecodeError(name, `not a readable image: ${reasonOf(error)}`)
  }
}

export function mimeOf(format: string): string {
  return format === 'jpeg' ? 'image/jpeg' : `image/${format}`
}
