/**
 * The image size a compressed frame declares, read from its codestream header before any decoder
 * runs: decoders allocate what the header says (a 1,230-byte JPEG Lossless frame declaring
 * 40000×40000 asks for 3.2 GB), so the header is checked against Rows × Columns × samples first.
 */

export interface FrameGeometry {
  width: number
  height: number
  components: number
  bitsPerSample: number
  /** JPEG family: the SOF marker's second byte (0xC3 lossless, 0xF7 JPEG-LS); J2K: 0x51 (SIZ) */
  marker: number
  /** J2K only: the number of tiles the SIZ segment declares */
  tiles?: number
}

export class CodestreamError extends Error {}

function u16(bytes: Uint8Array, at: number): number {
  if (at + 2 > bytes.length) throw new CodestreamError('the codestream ends inside its header')
  return (bytes[at] << 8) | bytes[at + 1]
}

function u32(bytes: Uint8Array, at: number): number {
  if (at + 4 > bytes.length) throw new CodestreamError('the codestream ends inside its header')
  return ((bytes[at] << 24) >>> 0) + (bytes[at + 1] << 16) + (bytes[at + 2] << 8) + bytes[at + 3]
}

/** SOF0–SOF15 less DHT (C4), JPG (C8) and DAC (CC), and JPEG-LS's SOF55 (F7). */
const isFrameMarker = (m: number) => (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) || m === 0xf7

/**
 * Walks JPEG / JPEG-LS marker segments (ITU T.81 B.1, T.87) from SOI to the first frame header.
 * Exactly one frame header may come before the first scan.
 */
export function jpegFrameHeader(bytes: Uint8Array): FrameGeometry {
  if (u16(bytes, 0) !== 0xffd8) throw new CodestreamError('the frame does not start with a JPEG SOI marker')
  let at = 2
  for (;;) {
    if (at >= bytes.length) throw new CodestreamError('the codestream ends before its frame header')
    if (bytes[at] !== 0xff) throw new CodestreamError(`no marker where one must be (byte ${at})`)
    while (bytes[at] === 0xff && at < bytes.length) at++ // fill bytes
    const marker = bytes[at++]
    if (marker === undefined) throw new CodestreamError('the codestream ends before its frame header')
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue // standalone markers
    if (marker === 0xda || marker === 0xd9) throw new CodestreamError('a scan or the end of image comes before any frame header')
    const length = u16(bytes, at)
    if (length < 2) throw new CodestreamError(`a marker segment declares length ${length}`)
    if (isFrameMarker(marker)) {
      if (length < 8) throw new CodestreamError('the frame header is too short')
      if (at + length > bytes.length) throw new CodestreamError('the codestream ends inside its frame header')
      return { marker, bitsPerSample: bytes[at + 2], height: u16(bytes, at + 3), width: u16(bytes, at + 5), components: bytes[at + 7] }
    }
    at += length
  }
}

/** The SIZ segment of a JPEG 2000 codestream (T.800 A.5.1), which must follow SOC directly. */
export function j2kSizHeader(bytes: Uint8Array): FrameGeometry {
  if (u16(bytes, 0) !== 0xff4f) throw new CodestreamError('the frame is not a JPEG 2000 codestream (no SOC marker)')
  if (u16(bytes, 2) !== 0xff51) throw new CodestreamError('the JPEG 2000 codestream has no SIZ segment after SOC')
  const at = 4
  const length = u16(bytes, at)
  const xsiz = u32(bytes, at + 4)
  const ysiz = u32(bytes, at + 8)
  const xosiz = u32(bytes, at + 12)
  const yosiz = u32(bytes, at + 16)
  const xtsiz = u32(bytes, at + 20)
  const ytsiz = u32(bytes, at + 24)
  const xtosiz = u32(bytes, at + 28)
  const ytosiz = u32(bytes, at + 32)
  const components = u16(bytes, at + 36)
  if (length !== 38 + 3 * components || at + length > bytes.length) throw new CodestreamError('the JPEG 2000 SIZ segment is malformed')
  if (xsiz <= xosiz || ysiz <= yosiz || !xtsiz || !ytsiz || xtosiz > xosiz || ytosiz > yosiz) {
    throw new CodestreamError('the JPEG 2000 SIZ segment declares an empty image or impossible tiles')
  }
  let bitsPerSample = 0
  for (let c = 0; c < components; c++) {
    const base = at + 38 + 3 * c
    bitsPerSample = Math.max(bitsPerSample, (bytes[base] & 0x7f) + 1)
    if (bytes[base + 1] !== 1 || bytes[base + 2] !== 1) throw new CodestreamError('the JPEG 2000 frame has subsampled components')
  }
  const tiles = Math.ceil((xsiz - xtosiz) / xtsiz) * Math.ceil((ysiz - ytosiz) / ytsiz)
  return { marker: 0x51, width: xsiz - xosiz, height: ysiz - yosiz, components, bitsPerSample, tiles }
}

/** What the dataset says the frame must be. */
export interface ExpectedFrame {
  width: number
  height: number
  samples: number
  /** BitsAllocated: a sample wider than this cannot be what the file declares */
  bitsAllocated: number
}

/** Most tiles accepted in one J2K frame: OpenJPEG keeps a structure per tile, and DICOM radiographs use one. */
export const MAX_J2K_TILES = 4096

/** Throws a CodestreamError naming what differs between the header and the dataset. */
export function checkGeometry(found: FrameGeometry, expected: ExpectedFrame): void {
  if (found.width !== expected.width || found.height !== expected.height) {
    throw new CodestreamError(
      `frame header declares ${found.width}×${found.height}, but Columns × Rows is ${expected.width}×${expected.height}`,
    )
  }
  if (found.components !== expected.samples)
    throw new CodestreamError(`frame header declares ${found.components} components, but SamplesPerPixel is ${expected.samples}`)
  if (found.bitsPerSample < 1 || found.bitsPerSample > 16 || found.bitsPerSample > expected.bitsAllocated) {
    throw new CodestreamError(
      `frame header declares ${found.bitsPerSample} bits per sample, but BitsAllocated is ${expected.bitsAllocated}`,
    )
  }
  if ((found.tiles ?? 1) > MAX_J2K_TILES) throw new CodestreamError(`frame header declares ${found.tiles} tiles (at most ${MAX_J2K_TILES})`)
}
