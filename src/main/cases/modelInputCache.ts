/**
 * The default model's input of each imported image, kept so that background analysis does not decode
 * the image a second time: the import decodes every pixel anyway (its checks, the thumbnail) and
 * resamples the model's input from the same pixels; analysis reads the file here (tens of KB) where
 * it would otherwise read and decode the stored image (~25 ms of CPU for a 1024² PNG, as much as the
 * model itself).
 *
 * What is kept is the resampled image before normalization (preprocess.ts resampleForModel: the
 * model's size and channels, 8 or 16 bits a sample, a gray image's repeated channels stored once), so
 * normalizeResampled makes the same tensor from it as from a fresh decode, bit for bit. A file is
 * named by the image's SHA-256 and a key of everything that decides those pixels (size, channels,
 * fit, resampler, libvips' version, this format's version): another model, or another libvips,
 * looks for another file and, not finding it, decodes. A file that is missing, truncated or not
 * this format is a miss, never an error: the caller decodes the image as before.
 *
 * Pixels only (no name, no metadata), inside the data folder beside the display renditions, and a
 * cache: deleting the folder costs one decode per image at the next analysis.
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { DataFolder } from '../config/dataFolder'
import { replaceFile } from '../config/replaceFile'
import { normalizeResampled, RESAMPLER, type PreprocessSpec, type ResampledImage } from '../model/preprocess'

const MAGIC = [0x43, 0x58, 0x4d, 0x49] // "CXMI"
const FORMAT_VERSION = 1
/** magic (4), format version (1), bytes per sample (1), channels (1), reserved (1), width (u32 LE), height (u32 LE) */
const HEADER_BYTES = 16
const SHA256 = /^[0-9a-f]{64}$/

/** The part of a file's name that says which pixels it holds (16 hex digits). */
export function modelInputKey(spec: PreprocessSpec): string {
  const { input, preprocess } = spec
  const decides = {
    format: FORMAT_VERSION,
    width: input.width,
    height: input.height,
    channels: input.channels,
    resize: preprocess.resize,
    resampler: RESAMPLER,
    vips: sharp.versions.vips,
  }
  return createHash('sha256').update(JSON.stringify(decides)).digest('hex').slice(0, 16)
}

/** True when every pixel's samples are equal (a gray image converted to RGB): one channel then holds it all. */
function repeatsOneChannel(image: ResampledImage): boolean {
  const { pixels, channels } = image
  if (channels < 2) return false
  for (let i = 0; i < pixels.length; i += channels) for (let c = 1; c < channels; c++) if (pixels[i + c] !== pixels[i]) return false
  return true
}

export function encodeModelInput(image: ResampledImage): Uint8Array {
  const one = repeatsOneChannel(image)
  const channels = one ? 1 : image.channels
  const bytesPerSample = image.maxValue === 255 ? 1 : 2
  const samples = image.width * image.height * channels
  const out = new Uint8Array(HEADER_BYTES + samples * bytesPerSample)
  const view = new DataView(out.buffer)
  out.set(MAGIC, 0)
  out[4] = FORMAT_VERSION
  out[5] = bytesPerSample
  out[6] = channels
  view.setUint32(8, image.width, true)
  view.setUint32(12, image.height, true)
  for (let i = 0; i < samples; i++) {
    const value = image.pixels[one ? i * image.channels : i]
    if (bytesPerSample === 1) out[HEADER_BYTES + i] = value
    else view.setUint16(HEADER_BYTES + 2 * i, value, true)
  }
  return out
}

/** The resampled image of a cache file, or null when the bytes are not a whole file of this format. */
export function decodeModelInput(bytes: Uint8Array): ResampledImage | null {
  if (bytes.length < HEADER_BYTES || MAGIC.some((b, i) => bytes[i] !== b) || bytes[4] !== FORMAT_VERSION) return null
  const bytesPerSample = bytes[5]
  const channels = bytes[6]
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const width = view.getUint32(8, true)
  const height = view.getUint32(12, true)
  if ((bytesPerSample !== 1 && bytesPerSample !== 2) || channels < 1 || channels > 4 || width === 0 || height === 0) return null
  const samples = width * height * channels
  if (bytes.length !== HEADER_BYTES + samples * bytesPerSample) return null
  let pixels: Uint8Array | Uint16Array
  if (bytesPerSample === 1) pixels = bytes.slice(HEADER_BYTES)
  else {
    pixels = new Uint16Array(samples)
    for (let i = 0; i < samples; i++) pixels[i] = view.getUint16(HEADER_BYTES + 2 * i, true)
  }
  return { width, height, channels, maxValue: bytesPerSample === 1 ? 255 : 65535, pixels }
}

/** Where an import keeps model inputs, and the preprocessing of the model they are for. */
export interface ModelInputTarget {
  cache: ModelInputCache
  spec: PreprocessSpec
}

export class ModelInputCache {
  /** `dir`: the data folder's model-input cache (DataFolder.modelInputs). */
  constructor(private readonly dir: string) {}

  /** The cache of the data folder a database file is in; null for an in-memory store (it has no folder). */
  static ofDatabase(databaseFile: string): ModelInputCache | null {
    return databaseFile === ':memory:' ? null : new ModelInputCache(DataFolder.ofDatabase(databaseFile).modelInputs)
  }

  fileOf(sha256: string, spec: PreprocessSpec): string {
    if (!SHA256.test(sha256)) throw new Error(`not a SHA-256 hex digest: ${JSON.stringify(sha256.slice(0, 80))}`)
    return join(this.dir, `${sha256}-${modelInputKey(spec)}.bin`)
  }

  /** Keeps an image's resampled input; written beside and renamed, so a reader never sees half a file. */
  async put(sha256: string, spec: PreprocessSpec, image: ResampledImage): Promise<void> {
    const file = this.fileOf(sha256, spec)
    if (image.width !== spec.input.width || image.height !== spec.input.height)
      throw new Error(`resampled input is ${image.width}×${image.height}, the model takes ${spec.input.width}×${spec.input.height}`)
    await mkdir(this.dir, { recursive: true })
    await replaceFile(file, encodeModelInput(image))
  }

  /** The kept resampled input, or null when there is none (or the file is damaged: it is removed, and the image decodes). */
  async read(sha256: string, spec: PreprocessSpec): Promise<ResampledImage | null> {
    const file = this.fileOf(sha256, spec)
    let bytes: Buffer
    try {
      bytes = await readFile(file)
    } catch {
      return null // missing or unreadable: decoding the image is the answer either way
    }
    const image = decodeModelInput(bytes)
    if (!image || image.width !== spec.input.width || image.height !== spec.input.height) {
      await rm(file, { force: true }).catch(() => undefined)
      return null
    }
    return image
  }

  /** The model's input tensor from the kept pixels, or null on a miss. */
  async tensor(sha256: string, spec: PreprocessSpec): Promise<Float32Array | null> {
    const image = await this.read(sha256, spec)
    return image ? normalizeResampled(image, spec) : null
  }
}
