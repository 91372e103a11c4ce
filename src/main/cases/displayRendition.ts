/**
 * Display renditions of large radiographs: a copy at most DISPLAY_SIDE pixels on its longer side,
 * made once per image (keyed by the SHA-256 of the stored bytes) and kept as a file under the data
 * folder's cache. A 3000² detector image is 9 MP to move, decode (36 MB as a bitmap) and scale on
 * every draw, while the viewer at fit shows about a million of those pixels; the viewer shows the
 * rendition at fit and asks for the stored file only when zoomed past the rendition's resolution.
 * Boxes, heatmaps and the view stay in the stored image's pixels whatever is drawn.
 *
 * The rendition is lossless PNG at the source's bit depth (16-bit stays 16-bit, so window/level
 * acts on the same kind of values as with the original), only downsampled (Lanczos). It holds the
 * pixels of an image the data folder already holds, nothing else (no metadata is copied), and it
 * lives inside the data folder. It is a cache: deleting the folder costs one rendering per image.
 */
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { replaceFile } from '../config/replaceFile'

/** The rendition's longer side: a 1600×1000 window at fit shows about 900 px of it, a HiDPI one about 1800. */
export const DISPLAY_SIDE = 1536
/** Only images whose longer side is over this get a rendition: a 1024² or 1536² image is shown as stored. */
export const RENDITION_ABOVE = 1920

export interface RenditionSource {
  sha256: string
  width: number
  height: number
  bitDepth: number | null
}

export interface Rendition {
  width: number
  height: number
  /** PNG bytes */
  bytes: Uint8Array
}

/** The rendition's size for an image of this size, or null when the image is shown as stored. */
export function renditionSize(width: number, height: number): { width: number; height: number } | null {
  if (!(width > 0 && height > 0)) throw new Error(`image size must be positive, got ${width}×${height}`)
  const longer = Math.max(width, height)
  if (longer <= RENDITION_ABOVE) return null
  const scale = DISPLAY_SIDE / longer
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) }
}

/** Renders the rendition of an image (its file or its bytes): downsampled, same channels and bit depth. */
export async function renderRendition(
  input: string | Uint8Array,
  size: { width: number; height: number },
  bitDepth: number | null,
): Promise<Uint8Array> {
  let pipeline = sharp(input, { failOn: 'truncated' }).resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' })
  // sharp writes 8 bits unless told otherwise: a 16-bit radiograph keeps its 16 bits (one grey channel).
  if (bitDepth !== null && bitDepth > 8) pipeline = pipeline.toColourspace('grey16')
  // Low zlib effort: the file is written once and read locally; decoding speed is the same.
  const data = await pipeline.png({ compressionLevel: 2 }).toBuffer()
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

const SHA256 = /^[0-9a-f]{64}$/

export class DisplayRenditions {
  private readonly inFlight = new Map<string, Promise<Rendition>>()
  /** How many renditions this instance rendered (not read from the cache): what the tests count. */
  rendered = 0

  /** `dir`: the data folder's rendition cache (DataFolder.displayRenditions). */
  constructor(private readonly dir: string) {}

  /** The cache file of an image's rendition, or null when the image needs none. */
  fileOf(image: RenditionSource): string | null {
    if (!SHA256.test(image.sha256)) throw new Error(`not a SHA-256 hex digest: ${JSON.stringify(image.sha256.slice(0, 80))}`)
    const size = renditionSize(image.width, image.height)
    return size ? join(this.dir, `${image.sha256}-${size.width}x${size.height}.png`) : null
  }

  /**
   * The image's rendition: from the cache, else rendered from `input` (the stored file's path, or
   * its bytes when the caller has them, as an import does), written to the cache and returned.
   * Null when the image is small enough to be shown as stored. Concurrent calls for one image
   * render it once.
   */
  async get(image: RenditionSource, input: string | Uint8Array): Promise<Rendition | null> {
    const file = this.fileOf(image)
    if (!file) return null
    const size = renditionSize(image.width, image.height)!
    const pending = this.inFlight.get(file)
    if (pending) return pending
    const work = this.readOrRender(file, size, image.bitDepth, input).finally(() => this.inFlight.delete(file))
    this.inFlight.set(file, work)
    return work
  }

  private async readOrRender(
    file: string,
    size: { width: number; height: number },
    bitDepth: number | null,
    input: string | Uint8Array,
  ): Promise<Rendition> {
    try {
      const cached = await readFile(file)
      return { ...size, bytes: new Uint8Array(cached.buffer, cached.byteOffset, cached.byteLength) }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    const bytes = await renderRendition(input, size, bitDepth)
    this.rendered++
    // Written beside, then renamed: a reader never sees half a file, and two processes rendering
    // the same image at once each leave a whole one.
    await mkdir(this.dir, { recursive: true })
    await replaceFile(file, bytes)
    return { ...size, bytes }
  }
}
