import sharp, { type OutputInfo } from 'sharp'
import { RESAMPLER, resampleForModel, type DecodedPixels, type PreprocessSpec, type ResampledImage } from '../model/preprocess'
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
  /** The model input asked for (modelInputCache.ts), or null when none was asked or it could not be made. */
  modelInput: ResampledImage | null
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
 * Decoded sample bytes an image may hold to be decoded once to a bitmap for both the thumbnail and
 * the model's input (a 2048² grey PNG is 4 MiB): a larger one is decoded once for each, so the six
 * decoders in flight never hold more than about 24 MiB of bitmaps between them.
 */
const ONE_DECODE_BYTES = 4 * 1024 * 1024

/**
 * Fully decodes and thumbnails one image. The thumbnail pass decodes every pixel, so a truncated or
 * corrupt file fails here (failOn 'truncated' and worse) instead of in the viewer later. libvips
 * runs on the libuv thread pool, so several of these in flight use all cores; its pixel limit
 * (sharp's default, 16383² pixels) refuses a small file declaring a huge image.
 *
 * `modelInput`: the model's preprocessing whose resampled input is wanted too, made from this one
 * decode where that gives the very pixels analysis would decode: a square grey 8-bit PNG at the
 * reference model's 192² needs one resize for thumbnail and model input (thumbnailIsModelInput);
 * another 8-bit PNG is decoded once to raw pixels and both are resized from those. A 16-bit PNG or
 * a JPEG (which may shrink on load) is decoded again for the model's input, exactly as analysis does.
 */
export async function decodeImage(bytes: Uint8Array, name: string, modelInput: PreprocessSpec | null = null): Promise<DecodedImage> {
  try {
    const meta = await sharp(bytes).metadata()
    if (!meta.format || !['png', 'jpeg'].includes(meta.format)) {
      throw new Error(`unsupported format ${meta.format ?? 'unknown'} (PNG or JPEG expected)`)
    }
    if (!meta.width || !meta.height) throw new Error('image has no size')
    const bitDepth = meta.depth ? (DEPTH_BITS[meta.depth] ?? null) : null
    const eightBitPng = modelInput !== null && meta.format === 'png' && bitDepth === 8
    // One grey channel for any model, or three (no alpha) for an RGB model: the model's resize is then the thumbnail's.
    const bands = meta.channels === 1 ? 1 : meta.channels === 3 && modelInput?.input.channels === 'rgb' ? 3 : null
    const alike = eightBitPng && bands !== null && resizesAlike(meta.width, meta.height, modelInput)
    const pixels =
      eightBitPng && !alike && meta.width * meta.height * (meta.channels ?? 4) <= ONE_DECODE_BYTES
        ? await decodePixels(bytes, meta.channels === 1)
        : null
    const [{ data, info }, resampled] = alike
      ? await thumbnailIsModelInput(bytes, bands!)
      : await Promise.all([
          thumbnailOf(pixels ?? bytes, bitDepth),
          // The model's input is a convenience for analysis: without it the image is decoded there.
          modelInput ? resampleForModel(pixels ?? bytes, modelInput, name).catch(() => null) : null,
        ])
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
      modelInput: resampled,
    }
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error
    throw new ImageDecodeError(name, `not a readable image: ${reasonOf(error)}`)
  }
}

function thumbnailOf(image: Uint8Array | DecodedPixels, bitDepth: number | null): Promise<{ data: Buffer; info: OutputInfo }> {
  const source =
    image instanceof Uint8Array
      ? sharp(image, { failOn: 'truncated' })
      : sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
  let pipeline = source.resize({ width: THUMBNAIL_SIZE, height: THUMBNAIL_SIZE, fit: 'inside', kernel: 'lanczos3' }).toColourspace('b-w')
  // 16-bit radiographs rarely use the full range; stretch so the thumbnail is not black.
  if (bitDepth !== null && bitDepth > 8) pipeline = pipeline.normalise()
  return pipeline.jpeg({ quality: 82 }).toBuffer({ resolveWithObject: true })
}

/**
 * True when the thumbnail's resize and the model's are one and the same for a grey image of this
 * size: a square one, and a model input of the thumbnail's size (the reference model's 192²), where
 * 'inside', 'fill' and 'contain' all scale both sides alike with the same kernel.
 */
function resizesAlike(width: number, height: number, spec: PreprocessSpec): boolean {
  return width === height && spec.input.width === THUMBNAIL_SIZE && spec.input.height === THUMBNAIL_SIZE
}

/**
 * The one resize of resizesAlike, streamed from the file as a plain thumbnail is (no bitmap of the
 * whole image is held): its pixels are the model's input, and the thumbnail is their JPEG.
 */
async function thumbnailIsModelInput(bytes: Uint8Array, bands: 1 | 3): Promise<[{ data: Buffer; info: OutputInfo }, ResampledImage]> {
  const resized = sharp(bytes, { failOn: 'truncated' }).resize({
    width: THUMBNAIL_SIZE,
    height: THUMBNAIL_SIZE,
    fit: 'fill',
    kernel: RESAMPLER,
  })
  // b-w or sRGB spelled out: raw output is sRGB unless told, and a grey JPEG would hold three channels.
  const small = await resized
    .toColourspace(bands === 1 ? 'b-w' : 'srgb')
    .raw()
    .toBuffer()
  const thumbnail = await sharp(small, { raw: { width: THUMBNAIL_SIZE, height: THUMBNAIL_SIZE, channels: bands } })
    .toColourspace('b-w')
    .jpeg({ quality: 82 })
    .toBuffer({ resolveWithObject: true })
  return [thumbnail, { width: THUMBNAIL_SIZE, height: THUMBNAIL_SIZE, channels: bands, maxValue: 255, pixels: small }]
}

/**
 * Every pixel of an 8-bit image, as decoded (failOn 'truncated': a damaged file fails here). A grey
 * image stays one channel (sharp would write three copies of it: three times the bytes to resize).
 */
async function decodePixels(bytes: Uint8Array, grey: boolean): Promise<DecodedPixels> {
  const pipeline = sharp(bytes, { failOn: 'truncated' })
  const { data, info } = await (grey ? pipeline.toColourspace('b-w') : pipeline).raw().toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height, channels: info.channels }
}

export function mimeOf(format: string): string {
  return format === 'jpeg' ? 'image/jpeg' : `image/${format}`
}
