import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import sharp from 'sharp'

export const THUMBNAIL_SIZE = 192
export const IMPORTABLE_EXTENSIONS = ['.png', '.jpg', '.jpeg']

export interface DecodedImage {
  sha256: string
  format: string
  width: number
  height: number
  bitDepth: number | null
  channels: number
  thumbnail: { mime: string; width: number; height: number; data: Uint8Array }
}

export class ImageDecodeError extends Error {
  constructor(readonly file: string, reason: string) {
    super(`${file}: ${reason}`)
    this.name = 'ImageDecodeError'
  }
}

const DEPTH_BITS: Record<string, number> = { uchar: 8, char: 8, ushort: 16, short: 16, uint: 32, float: 32 }

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * Reads, hashes, fully decodes and thumbnails one image. The thumbnail pass decodes every pixel, so a
 * truncated or corrupt file fails here (failOn 'truncated' and worse) instead of in the viewer later.
 * libvips runs on the libuv thread pool, so several of these in flight use all cores.
 */
export async function readImage(path: string, name = path): Promise<{ bytes: Uint8Array; sha256: string }> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (error) {
    throw new ImageDecodeError(name, `cannot read file (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  if (bytes.length === 0) throw new ImageDecodeError(name, 'file is empty')
  return { bytes, sha256: sha256Of(bytes) }
}

export async function decodeImage(bytes: Uint8Array, name: string): Promise<Omit<DecodedImage, 'sha256'>> {
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
      thumbnail: { mime: 'image/jpeg', width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) },
    }
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error
    throw new ImageDecodeError(name, `not a readable image: ${(error as Error).message}`)
  }
}

export function mimeOf(format: string): string {
  return format === 'jpeg' ? 'image/jpeg' : `image/${format}`
}
