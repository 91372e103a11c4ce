/**
 * DICOM files whose headers lie about their size, for the decoder and memory tests: each would
 * make a decoder that trusts its codestream allocate gigabytes.
 */
import { encodeJpeg2000, encodeJpegLs } from './dicomEncoders'
import { writeDicom, type DicomSpec } from './dicomWriter'
import { encodeJpegLossless } from './jpegLosslessEncoder'

export const JPEG_LOSSLESS_SV1 = '1.2.840.10008.1.2.4.70'
export const J2K_LOSSLESS = '1.2.840.10008.1.2.4.90'
export const JLS_LOSSLESS = '1.2.840.10008.1.2.4.80'

const base = (extra: Partial<DicomSpec>): DicomSpec => ({
  rows: 256,
  columns: 256,
  photometric: 'MONOCHROME2',
  bitsAllocated: 8,
  bitsStored: 8,
  pixels: [],
  ...extra,
})

function putU16(bytes: Uint8Array, at: number, value: number) {
  bytes[at] = value >> 8
  bytes[at + 1] = value & 0xff
}

function putU32(bytes: Uint8Array, at: number, value: number) {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, value, false)
}

/** A small JPEG Lossless frame (16×16 pixels of data) whose SOF3 declares 40000×40000 in a 256×256 image. */
export function jpegLosslessDeclaring40000(): Uint8Array {
  const stream = encodeJpegLossless({
    width: 16,
    height: 16,
    bitsPerSample: 16,
    pixels: new Uint16Array(256).fill(1000),
    declare: { width: 40000, height: 40000 },
  })
  return writeDicom(base({ bitsAllocated: 16, bitsStored: 16, transferSyntax: JPEG_LOSSLESS_SV1, encapsulated: stream }))
}

/**
 * A frame whose honest SOF3 (256×256) comes after an extension segment (FFF0) whose length bytes
 * are themselves an SOF3 marker: the segment's body is a whole second frame header (40000×40000),
 * Huffman table and scan. A reader that skips segments by their length finds 256×256;
 * jpeg-lossless-decoder-js steps over unknown markers without their length and decodes the hidden
 * 40000×40000 frame: only a check inside the decoder stops that one.
 */
export function jpegLosslessHiddenHeader(pixels: ArrayLike<number>): Uint8Array {
  const honest = encodeJpegLossless({ width: 256, height: 256, bitsPerSample: 8, pixels })
  const hidden = encodeJpegLossless({
    width: 16,
    height: 16,
    bitsPerSample: 16,
    pixels: new Uint16Array(256),
    declare: { width: 40000, height: 40000 },
  })
  const body = hidden.subarray(2, hidden.length - 2) // FF C3 … scan data, without SOI and EOI
  const length = (body[0] << 8) | body[1] // 0xffc3: the marker doubles as the FFF0 segment's length
  const segment = new Uint8Array(2 + length)
  segment.set([0xff, 0xf0], 0)
  segment.set(body, 2)
  const stream = new Uint8Array(2 + segment.length + honest.length - 2)
  stream.set([0xff, 0xd8], 0)
  stream.set(segment, 2)
  stream.set(honest.subarray(2), 2 + segment.length)
  return writeDicom(base({ transferSyntax: JPEG_LOSSLESS_SV1, encapsulated: stream }))
}

/** A real 256×256 J2K codestream whose SIZ is rewritten to declare 40000×40000. */
export async function j2kDeclaring40000(pixels: ArrayLike<number>): Promise<Uint8Array> {
  const stream = (await encodeJpeg2000({ width: 256, height: 256, bitsPerSample: 8, pixels })).slice()
  putU32(stream, 8, 40000) // Xsiz
  putU32(stream, 12, 40000) // Ysiz
  return writeDicom(base({ transferSyntax: J2K_LOSSLESS, encapsulated: stream }))
}

/** A real 256×256 JPEG-LS stream whose SOF55 is rewritten to declare 40000×40000. */
export async function jpegLsDeclaring40000(pixels: ArrayLike<number>): Promise<Uint8Array> {
  const stream = (await encodeJpegLs({ width: 256, height: 256, bitsPerSample: 8, pixels })).slice()
  let at = 2
  while (!(stream[at] === 0xff && stream[at + 1] === 0xf7)) at++
  putU16(stream, at + 5, 40000) // Y
  putU16(stream, at + 7, 40000) // X
  return writeDicom(base({ transferSyntax: JLS_LOSSLESS, encapsulated: stream }))
}

/** Rows = Columns = 65535 (a 8.6 GB 16-bit image) with 16 bytes of pixel data. */
export const hugeRowsColumns = () =>
  writeDicom(base({ rows: 65535, columns: 65535, bitsAllocated: 16, bitsStored: 16, pixels: new Uint16Array(8) }))

/** 8192×8192 (within the limits) declared, 4 KiB of pixel data present. */
export const shortPixelData = () =>
  writeDicom(base({ rows: 8192, columns: 8192, bitsAllocated: 16, bitsStored: 16, pixels: new Uint16Array(2048) }))
