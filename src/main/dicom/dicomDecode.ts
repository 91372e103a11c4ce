import dicomParser from 'dicom-parser'
import { Decoder as JpegLosslessDecoder } from 'jpeg-lossless-decoder-js'
import { decodeWasmFrame, type WasmCodec } from './wasmCodecs'

/** Transfer syntaxes this build decodes; anything else is refused by name. */
const UNCOMPRESSED: Record<string, string> = {
  '1.2.840.10008.1.2': 'Implicit VR Little Endian',
  '1.2.840.10008.1.2.1': 'Explicit VR Little Endian',
  '1.2.840.10008.1.2.2': 'Explicit VR Big Endian',
}
const JPEG_LOSSLESS: Record<string, string> = {
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless, Non-Hierarchical (Process 14)',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless, First-Order Prediction (Process 14 SV1)',
}
const WASM_CODECS: Record<string, { name: string; codec: WasmCodec }> = {
  '1.2.840.10008.1.2.4.80': { name: 'JPEG-LS Lossless', codec: 'jpegls' },
  '1.2.840.10008.1.2.4.81': { name: 'JPEG-LS Near-Lossless', codec: 'jpegls' },
  '1.2.840.10008.1.2.4.90': { name: 'JPEG 2000 Lossless', codec: 'jpeg2000' },
  '1.2.840.10008.1.2.4.91': { name: 'JPEG 2000', codec: 'jpeg2000' },
}
const KNOWN_NAMES: Record<string, string> = {
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline (Process 1)',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended (Process 2 & 4)',
  '1.2.840.10008.1.2.4.201': 'High-Throughput JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.203': 'High-Throughput JPEG 2000',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
}

export class DicomError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`)
    this.name = 'DicomError'
  }
}

/** What the workstation keeps of a DICOM image: pixels after the modality LUT, display defaults, and identifiers only for pseudonymizing. */
export interface DecodedDicom {
  width: number
  height: number
  /** Modality values (rescale applied), MONOCHROME1 already inverted so bright = dense. */
  pixels: Float32Array
  min: number
  max: number
  window: { center: number; width: number } | null
  pixelSpacing: [number, number] | null
  viewPosition: string | null
  bitsStored: number
  transferSyntax: string
  burnedInAnnotation: boolean
  sex: string | null
  age: number | null
  /** identifying attributes: used to derive pseudonyms, never stored in the case database */
  identity: { patientId: string | null; patientName: string | null; birthDate: string | null; sopInstanceUid: string | null; studyInstanceUid: string | null }
}

/** dicom-parser throws Errors, strings, or `{ exception, dataSet }` when a file ends early. */
function parserMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  if (error && typeof error === 'object' && 'exception' in error) return String(error.exception)
  return String(error)
}

const text = (ds: dicomParser.DataSet, tag: string) => ds.string(tag)?.trim() || null

function firstFrame(file: string, ds: dicomParser.DataSet, element: dicomParser.Element): Uint8Array {
  try {
    if (element.basicOffsetTable?.length) return dicomParser.readEncapsulatedImageFrame(ds, element, 0)
    const fragments = element.fragments?.length ?? 0
    if (!fragments) throw new Error('no fragments')
    // An empty offset table is allowed: a single frame is then all fragments, several frames one fragment each.
    const frames = Number(ds.intString('x00280008') ?? 1)
    return dicomParser.readEncapsulatedPixelDataFromFragments(ds, element, 0, frames > 1 ? 1 : fragments)
  } catch (error) {
    throw new DicomError(file, `encapsulated pixel data is unreadable (${parserMessage(error)})`)
  }
}

async function rawPixels(file: string, ds: dicomParser.DataSet, syntax: string, rows: number, columns: number, bitsAllocated: number, signed: boolean): Promise<ArrayLike<number>> {
  const count = rows * columns
  const element = ds.elements.x7fe00010
  if (!element) throw new DicomError(file, 'has no pixel data (7FE0,0010)')
  if (UNCOMPRESSED[syntax]) {
    const bytes = ds.byteArray
    const offset = element.dataOffset
    if (offset + (count * bitsAllocated) / 8 > bytes.length) throw new DicomError(file, 'pixel data is truncated')
    if (bitsAllocated === 8) return bytes.subarray(offset, offset + count)
    if (bitsAllocated !== 16) throw new DicomError(file, `BitsAllocated ${bitsAllocated} is not supported (8 or 16)`)
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 2)
    const little = syntax !== '1.2.840.10008.1.2.2'
    return Array.from({ length: count }, (_, i) => (signed ? view.getInt16(i * 2, little) : view.getUint16(i * 2, little)))
  }
  if (JPEG_LOSSLESS[syntax]) {
    const frame = firstFrame(file, ds, element)
    const decoded = new JpegLosslessDecoder().decode(frame.buffer as ArrayBuffer, frame.byteOffset, frame.length)
    const out = bitsAllocated === 8 ? new Uint8Array(decoded) : signed ? new Int16Array(decoded) : new Uint16Array(decoded)
    if (out.length < count) throw new DicomError(file, 'JPEG Lossless frame decoded to fewer pixels than Rows × Columns')
    return out
  }
  const wasm = WASM_CODECS[syntax]
  if (wasm) {
    const frame = firstFrame(file, ds, element)
    const decoded = await decodeWasmFrame(wasm.codec, frame).catch((error: Error) => {
      throw new DicomError(file, `${wasm.name}: ${error.message}`)
    })
    if (decoded.width !== columns || decoded.height !== rows) throw new DicomError(file, `${wasm.name} frame is ${decoded.width}×${decoded.height}, but Columns × Rows is ${columns}×${rows}`)
    return decoded.samples
  }
  throw new DicomError(file, `unsupported transfer syntax ${syntax}${KNOWN_NAMES[syntax] ? ` (${KNOWN_NAMES[syntax]})` : ''}`)
}

/**
 * Decodes the first frame of a single-channel DICOM image: BitsStored 8–16 (masked, sign-extended
 * when PixelRepresentation is 1), RescaleSlope/Intercept, MONOCHROME1 inverted. Uncompressed, JPEG
 * Lossless, JPEG-LS and JPEG 2000 transfer syntaxes decode; any other is refused by name.
 */
export async function decodeDicom(bytes: Uint8Array, file: string): Promise<DecodedDicom> {
  let ds: dicomParser.DataSet
  try {
    ds = dicomParser.parseDicom(bytes)
  } catch (error) {
    throw new DicomError(file, `not a readable DICOM file (${parserMessage(error)})`)
  }
  const syntax = text(ds, 'x00020010') ?? '1.2.840.10008.1.2'
  const rows = ds.uint16('x00280010')
  const columns = ds.uint16('x00280011')
  if (!rows || !columns) throw new DicomError(file, 'has no image (Rows/Columns missing)')
  const samples = ds.uint16('x00280002') ?? 1
  const photometric = text(ds, 'x00280004') ?? 'MONOCHROME2'
  if (samples !== 1 || !photometric.startsWith('MONOCHROME')) throw new DicomError(file, `photometric interpretation ${photometric} is not a grayscale radiograph`)
  const bitsAllocated = ds.uint16('x00280100') ?? 16
  const bitsStored = ds.uint16('x00280101') ?? bitsAllocated
  if (bitsStored < 1 || bitsStored > 16) throw new DicomError(file, `BitsStored ${bitsStored} is outside 1–16`)
  const signed = ds.uint16('x00280103') === 1
  const slope = ds.floatString('x00281053') ?? 1
  const intercept = ds.floatString('x00281052') ?? 0
  const count = rows * columns
  const raw = await rawPixels(file, ds, syntax, rows, columns, bitsAllocated, signed)
  const mask = (1 << bitsStored) - 1
  const signBit = 1 << (bitsStored - 1)
  const pixels = new Float32Array(count)
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < count; i++) {
    // Keep only BitsStored bits (overlay bits may sit above them), then sign-extend.
    let v = raw[i] & mask
    if (signed && v & signBit) v -= 1 << bitsStored
    const value = v * slope + intercept
    pixels[i] = value
    if (value < min) min = value
    if (value > max) max = value
  }
  let window: DecodedDicom['window'] = null
  const center = ds.floatString('x00281050')
  const width = ds.floatString('x00281051')
  if (center !== undefined && width !== undefined && width > 0) window = { center, width }
  if (photometric === 'MONOCHROME1') {
    // Invert so that the rest of the workstation only ever sees MONOCHROME2 (high = bright).
    for (let i = 0; i < count; i++) pixels[i] = max + min - pixels[i]
    if (window) window = { center: max + min - window.center, width: window.width }
  }
  const spacing = text(ds, 'x00280030')?.split('\\').map(Number)
  const age = /^(\d{1,3})Y$/.exec(text(ds, 'x00101010') ?? '')
  return {
    width: columns, height: rows, pixels, min, max, window,
    pixelSpacing: spacing && spacing.length === 2 && spacing.every(Number.isFinite) ? [spacing[0], spacing[1]] : null,
    viewPosition: text(ds, 'x00185101'), bitsStored, transferSyntax: syntax,
    burnedInAnnotation: (text(ds, 'x00280301') ?? '').toUpperCase() === 'YES',
    sex: text(ds, 'x00100040'), age: age ? Number(age[1]) : null,
    identity: {
      patientId: text(ds, 'x00100020'), patientName: text(ds, 'x00100010'), birthDate: text(ds, 'x00100030'),
      sopInstanceUid: text(ds, 'x00080018'), studyInstanceUid: text(ds, 'x0020000d'),
    },
  }
}

/** Part 10 files carry "DICM" at byte 128; that is how a folder's DICOM files are recognized. */
export function looksLikeDicom(bytes: Uint8Array): boolean {
  return bytes.length > 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d
}
