import sharp, { type Metadata } from 'sharp'
import { colormapLut, type ColormapName, type Rgb } from '../../shared/colormaps'
import { checkMap, normalizeMap, upsampleBilinear, type NormalizeMode } from '../../shared/heatmapGrid'

export { COLORMAPS, type ColormapName, type Rgb } from '../../shared/colormaps'
export { normalizeMap, upsampleBilinear, type NormalizeMode } from '../../shared/heatmapGrid'

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v)

/**
 * Heatmap rendering for explanations. Maps are stored low-resolution (e.g. 7×7 or 8×8, row-major)
 * and cover the whole model input, which covers the whole image (resize policy "stretch"), so the
 * map is simply stretched over the image. Pure Node: sharp decodes and encodes, the maths is here.
 */

/** A rectangle in image pixels; `label` travels with it for callers but is not rasterised. */
export interface OverlayBox {
  x: number
  y: number
  w: number
  h: number
  label?: string
}

export interface OverlayOptions {
  /** PNG/JPEG bytes or a file path. */
  image: Uint8Array | string
  map: ArrayLike<number>
  mapHeight: number
  mapWidth: number
  colormap?: ColormapName
  opacity?: number
  normalize?: NormalizeMode
  /** Normalized values below this stay uncoloured. */
  threshold?: number
  boxes?: OverlayBox[]
}

function decodeError(image: Uint8Array | string, error: unknown): Error {
  const name = typeof image === 'string' ? image : 'image'
  return new Error(`${name}: cannot be decoded for the heatmap overlay (${(error as Error).message})`)
}

/** Width and height from the header alone, so the map can be upsampled while the pixels decode. */
async function imageSize(image: Uint8Array | string): Promise<{ width: number; height: number }> {
  let meta: Metadata
  try {
    meta = await sharp(image).metadata()
  } catch (error) {
    throw decodeError(image, error)
  }
  return { width: meta.width, height: meta.height }
}

/** Decodes any supported image to 8-bit gray; 16-bit is scaled linearly (v/257), as the preprocessor does. */
async function decodeGray(image: Uint8Array | string): Promise<{ gray: Uint8Array; width: number; height: number }> {
  try {
    const { data, info } = await sharp(image).removeAlpha().greyscale().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true })
    if (info.channels === 1) return { gray: data, width: info.width, height: info.height }
    // defensive: should sharp ever keep extra channels, take the first (gray) one
    const gray = new Uint8Array(info.width * info.height)
    for (let i = 0; i < gray.length; i++) gray[i] = data[i * info.channels]
    return { gray, width: info.width, height: info.height }
  } catch (error) {
    throw decodeError(image, error)
  }
}

/** Paints a `thickness`-px outline just inside the box, clipped to the image. */
function drawBox(rgb: Uint8Array, width: number, height: number, box: OverlayBox, colour: Rgb, thickness = 2): void {
  const x0 = Math.max(0, Math.round(box.x))
  const y0 = Math.max(0, Math.round(box.y))
  const x1 = Math.min(width, Math.round(box.x + box.w))
  const y1 = Math.min(height, Math.round(box.y + box.h))
  if (x1 <= x0 || y1 <= y0) return
  for (let y = y0; y < y1; y++) {
    const edgeRow = y < y0 + thickness || y >= y1 - thickness
    for (let x = x0; x < x1; x++) {
      if (!edgeRow && x >= x0 + thickness && x < x1 - thickness) continue
      rgb.set(colour, (y * width + x) * 3)
    }
  }
}

// yellow reads well over both the gray film and every colour map's blues and reds
const BOX_COLOUR: Rgb = [255, 221, 0]

// deflate dominates a 1024² overlay: level 2 takes ~40 ms for ~1.1 MB where the default 6 takes
// ~60 ms for ~0.94 MB (level 1: ~25 ms but ~1.45 MB)
const PNG_OPTIONS = { compressionLevel: 2 } as const

function encodeRgbPng(rgb: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .png(PNG_OPTIONS)
    .toBuffer()
}

/**
 * The image in gray with the heatmap alpha-blended over it (opacity where the normalized value
 * reaches the threshold, none below), plus box outlines; PNG bytes the same size as the image.
 */
export async function renderOverlay(options: OverlayOptions): Promise<Uint8Array> {
  const { map, mapHeight, mapWidth, colormap = 'jet', opacity = 0.45, normalize = 'minmax', threshold = 0, boxes = [] } = options
  checkMap(map, mapHeight, mapWidth)
  const lut = colormapLut(colormap)
  const alpha = clamp01(opacity)
  const size = await imageSize(options.image)
  // sharp decodes on its thread pool while this thread upsamples the map
  const decoding = decodeGray(options.image)
  // normalizing before upsampling is equivalent (bilinear is a convex combination) and far cheaper
  const normalized = normalizeMap(map, normalize)
  let values = upsampleBilinear(normalized, mapHeight, mapWidth, size.height, size.width)
  const { gray, width, height } = await decoding
  if (width !== size.width || height !== size.height) values = upsampleBilinear(normalized, mapHeight, mapWidth, height, width)
  const rgb = blend(gray, values, lut, alpha, threshold)
  for (const box of boxes) drawBox(rgb, width, height, box, BOX_COLOUR)
  return encodeRgbPng(rgb, width, height)
}

/**
 * gray·(1 − α) + colour·α per pixel, α = 0 below the threshold. Both terms come from small tables
 * (256 gray levels, 256 colours) so the 1M-pixel loop is additions only; +0.5 rounds on truncation.
 */
function blend(gray: Uint8Array, values: Float32Array, lut: Uint8ClampedArray, alpha: number, threshold: number): Uint8Array {
  const rgb = new Uint8Array(gray.length * 3)
  const base = new Float32Array(256)
  for (let g = 0; g < 256; g++) base[g] = g * (1 - alpha) + 0.5
  const tint = new Float32Array(lut.length)
  for (let i = 0; i < lut.length; i++) tint[i] = lut[i] * alpha
  const coloured = alpha > 0
  for (let p = 0, o = 0; p < gray.length; p++, o += 3) {
    const g = gray[p]
    const v = values[p]
    if (!coloured || !(v >= threshold)) {
      rgb[o] = g
      rgb[o + 1] = g
      rgb[o + 2] = g
      continue
    }
    const c = (v <= 0 ? 0 : v >= 1 ? 255 : (v * 255 + 0.5) | 0) * 3
    const b = base[g]
    rgb[o] = b + tint[c]
    rgb[o + 1] = b + tint[c + 1]
    rgb[o + 2] = b + tint[c + 2]
  }
  return rgb
}
