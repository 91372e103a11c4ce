import dicomParser from 'dicom-parser'
import { Decoder as JpegLosslessDecoder } from 'jpeg-lossless-decoder-js'
import { acquisitionFlag } from '../cases/acquisitionCheck'
import { codeAge, codeSex, codeView } from '../cases/codedAttributes'
import { checkGeometry, CodestreamError, jpegFrameHeader, type ExpectedFrame } from './codestreamHeaders'
import { characterSetDecoder, decodedText } from './characterSet'
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
  /** `reason`: the problem without the file name, for summaries that list the name beside it */
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`)
    this.name = 'DicomError'
  }
}

/**
 * Largest image accepted, checked before anything is allocated: a pixel costs about 10 bytes on
 * its way to the stored PNG, so a CLI import of an 8192² 16-bit file peaks near 800 MiB
 * (tests/unit/importMemory.test.ts), under the 1.5 GB bound. Real CR/DX detectors are at most
 * about 4300 × 4300.
 */
export const MAX_SIDE = 16384
export const MAX_PIXELS = 8192 * 8192
/** RescaleSlope magnitude accepted; beyond it the values overflow float32 or collapse to one gray. */
export const SLOPE_RANGE: [number, number] = [1e-6, 1e6]
export const MAX_INTERCEPT = 1e9

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
  /** why the header says this is not a frontal chest film (lateral ViewPosition, BodyPartExamined not CHEST), or null */
  acquisitionFlag: string | null
  bitsStored: number
  transferSyntax: string
  burnedInAnnotation: boolean
  /** PatientSex as M, F or O; anything else null (and a note) */
  sex: string | null
  /** PatientAge in whole years, null when absent or impossible */
  age: number | null
  /** attributes stored as unknown because their value was outside the code set (never the value itself) */
  notes: string[]
  /** identifying attributes: used to derive pseudonyms, never stored in the case database */
  identity: {
    patientId: string | null
    patientName: string | null
    birthDate: string | null
    sopInstanceUid: string | null
    studyInstanceUid: string | null
  }
  /**
   * The instance's place in the PACS, kept only sealed (dicomSource.ts, caseOrigin.ts) so results can
   * be sent back into the patient's original study; never stored in plaintext.
   */
  uids: { study: string | null; series: string | null; sop: string | null; sopClass: string | null }
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

/**
 * The JPEG Lossless decoder allocates Columns × Rows from its own reading of the frame header; its
 * header and scan readers are wrapped so that a header other than the one checked stops it there,
 * before the allocation.
 */
function guardedJpegLossless(expected: ExpectedFrame): JpegLosslessDecoder {
  const decoder = new JpegLosslessDecoder() as JpegLosslessDecoder & {
    frame: { read(stream: unknown): number; dimX: number; dimY: number; numComp: number; precision: number }
    scan: { read(stream: unknown): number; numComp: number }
  }
  const readFrame = decoder.frame.read.bind(decoder.frame)
  decoder.frame.read = (stream) => {
    const result = readFrame(stream)
    const f = decoder.frame
    checkGeometry({ width: f.dimX, height: f.dimY, components: f.numComp, bitsPerSample: f.precision, marker: 0xc3 }, expected)
    return result
  }
  const readScan = decoder.scan.read.bind(decoder.scan)
  decoder.scan.read = (stream) => {
    const result = readScan(stream)
    if (decoder.scan.numComp !== expected.samples) throw new CodestreamError(`scan header declares ${decoder.scan.numComp} components`)
    return result
  }
  return decoder
}

async function rawPixels(
  file: string,
  ds: dicomParser.DataSet,
  syntax: string,
  expected: ExpectedFrame,
  signed: boolean,
): Promise<ArrayLike<number>> {
  const { width: columns, height: rows, bitsAllocated } = expected
  const count = rows * columns
  const element = ds.elements.x7fe00010
  if (!element) throw new DicomError(file, 'has no pixel data (7FE0,0010)')
  if (UNCOMPRESSED[syntax]) {
    if (bitsAllocated !== 8 && bitsAllocated !== 16) throw new DicomError(file, `BitsAllocated ${bitsAllocated} is not supported (8 or 16)`)
    const frames = Number(text(ds, 'x00280008') ?? 1)
    if (!Number.isInteger(frames) || frames < 1) throw new DicomError(file, 'NumberOfFrames is not a positive whole number')
    const frameBytes = (count * bitsAllocated) / 8
    const declared = frames * frameBytes
    // Pixel data must hold exactly the frames declared (plus the pad byte to an even length).
    if (element.length !== declared && element.length !== declared + (declared % 2)) {
      throw new DicomError(
        file,
        `pixel data is ${element.length} bytes, but Rows × Columns × samples × bytes${frames > 1 ? ' × frames' : ''} is ${declared}`,
      )
    }
    const bytes = ds.byteArray
    const offset = element.dataOffset
    if (offset + frameBytes > bytes.length) throw new DicomError(file, 'pixel data is truncated')
    if (bitsAllocated === 8) return bytes.subarray(offset, offset + count)
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 2)
    const little = syntax !== '1.2.840.10008.1.2.2'
    const out = signed ? new Int16Array(count) : new Uint16Array(count)
    if (signed) for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, little)
    else for (let i = 0; i < count; i++) out[i] = view.getUint16(i * 2, little)
    return out
  }
  if (JPEG_LOSSLESS[syntax]) {
    const frame = firstFrame(file, ds, element)
    let decoded: ArrayBuffer
    let bits: number
    try {
      const header = jpegFrameHeader(frame)
      if (header.marker !== 0xc3) throw new CodestreamError(`the frame is not lossless JPEG (SOF${header.marker - 0xc0}, not SOF3)`)
      checkGeometry(header, expected)
      bits = header.bitsPerSample
      decoded = guardedJpegLossless(expected).decode(frame.buffer as ArrayBuffer, frame.byteOffset, frame.length)
    } catch (error) {
      throw new DicomError(
        file,
        `JPEG Lossless: ${error instanceof Error && error.message ? error.message : 'the frame could not be decoded'}`,
      )
    }
    // The decoder writes one byte per sample up to 8 bits, else two.
    const out = bits <= 8 ? new Uint8Array(decoded) : signed ? new Int16Array(decoded) : new Uint16Array(decoded)
    if (out.length !== count) throw new DicomError(file, 'JPEG Lossless frame decoded to a different number of pixels than Rows × Columns')
    return out
  }
  const wasm = WASM_CODECS[syntax]
  if (wasm) {
    const frame = firstFrame(file, ds, element)
    const decoded = await decodeWasmFrame(wasm.codec, frame, expected).catch((error: unknown) => {
      throw new DicomError(
        file,
        `${wasm.name}: ${error instanceof Error && error.message ? error.message : 'the frame could not be decoded'}`,
      )
    })
    if (decoded.width !== columns || decoded.height !== rows)
      throw new DicomError(file, `${wasm.name} frame is ${decoded.width}×${decoded.height}, but Columns × Rows is ${columns}×${rows}`)
    return decoded.samples
  }
  throw new DicomError(file, `unsupported transfer syntax ${syntax}${KNOWN_NAMES[syntax] ? ` (${KNOWN_NAMES[syntax]})` : ''}`)
}

/** RescaleSlope/Intercept as numbers the pixels can be multiplied by, or a refusal naming them. */
function rescaleOf(file: string, ds: dicomParser.DataSet, bitsStored: number): { slope: number; intercept: number } {
  const read = (tag: string, name: string, fallback: number): number => {
    const raw = text(ds, tag)
    if (raw === null) return fallback
    // DS is a decimal string; a multi-valued one is refused too, as its meaning is unclear.
    const value = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw) ? Number(raw) : NaN
    if (!Number.isFinite(value)) throw new DicomError(file, `${name} is not a finite decimal number`)
    return value
  }
  const slope = read('x00281053', 'RescaleSlope', 1)
  const intercept = read('x00281052', 'RescaleIntercept', 0)
  const magnitude = Math.abs(slope)
  if (magnitude < SLOPE_RANGE[0] || magnitude > SLOPE_RANGE[1]) {
    throw new DicomError(
      file,
      `RescaleSlope ${slope} is outside ±[${SLOPE_RANGE[0]}, ${SLOPE_RANGE[1]}]${slope === 0 ? ' (a zero slope makes every pixel one value)' : ''}`,
    )
  }
  if (Math.abs(intercept) > MAX_INTERCEPT) throw new DicomError(file, `RescaleIntercept ${intercept} is beyond ±${MAX_INTERCEPT}`)
  // The largest stored value times the slope must still tell neighbouring values apart in float32.
  if (Math.abs(intercept) / (magnitude * 2 ** Math.max(bitsStored, 1)) > 2 ** 20) {
    throw new DicomError(
      file,
      `RescaleIntercept ${intercept} is too large for RescaleSlope ${slope}: the pixel values would be lost in rounding`,
    )
  }
  return { slope, intercept }
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
  if (rows > MAX_SIDE || columns > MAX_SIDE || rows * columns > MAX_PIXELS) {
    throw new DicomError(
      file,
      `Columns × Rows ${columns}×${rows} is beyond the limit (${MAX_SIDE} a side, ${MAX_PIXELS.toLocaleString('en-US')} pixels)`,
    )
  }
  const samples = ds.uint16('x00280002') ?? 1
  const photometric = text(ds, 'x00280004') ?? 'MONOCHROME2'
  if (samples !== 1 || !photometric.startsWith('MONOCHROME'))
    throw new DicomError(file, `photometric interpretation ${photometric} is not a grayscale radiograph`)
  const bitsAllocated = ds.uint16('x00280100') ?? 16
  const bitsStored = ds.uint16('x00280101') ?? bitsAllocated
  if (bitsStored < 1 || bitsStored > 16) throw new DicomError(file, `BitsStored ${bitsStored} is outside 1–16`)
  if (bitsStored > bitsAllocated) throw new DicomError(file, `BitsStored ${bitsStored} is more than BitsAllocated ${bitsAllocated}`)
  const signed = ds.uint16('x00280103') === 1
  const { slope, intercept } = rescaleOf(file, ds, bitsStored)
  const count = rows * columns
  const raw = await rawPixels(file, ds, syntax, { width: columns, height: rows, samples, bitsAllocated }, signed)
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
  // A window that is not a finite, positive width is dropped (the viewer then fits min..max).
  if (
    center !== undefined &&
    width !== undefined &&
    Number.isFinite(center) &&
    Number.isFinite(width) &&
    width > 0 &&
    Math.abs(center) < 1e30 &&
    width < 1e30
  )
    window = { center, width }
  if (photometric === 'MONOCHROME1') {
    // Invert so that the rest of the workstation only ever sees MONOCHROME2 (high = bright).
    for (let i = 0; i < count; i++) pixels[i] = max + min - pixels[i]
    if (window) window = { center: max + min - window.center, width: window.width }
  }
  const spacing = text(ds, 'x00280030')?.split('\\').map(Number)
  // Coded attributes: only code-set values are kept. A note names the attribute, never its value,
  // which in a hand-typed field may be a name.
  const notes: string[] = []
  const coded = <T>(attribute: string, result: { value: T | null; invalid: boolean }, what: string): T | null => {
    if (result.invalid) notes.push(`${attribute} is not ${what}; stored as unknown`)
    return result.value
  }
  // Person names and IDs may be non-ASCII: decoded by the file's Specific Character Set.
  const names = characterSetDecoder(ds)
  return {
    width: columns,
    height: rows,
    pixels,
    min,
    max,
    window,
    pixelSpacing:
      spacing && spacing.length === 2 && spacing.every((v) => Number.isFinite(v) && v > 0 && v <= 100) ? [spacing[0], spacing[1]] : null,
    viewPosition: coded('ViewPosition', codeView(text(ds, 'x00185101')), 'a DICOM defined term (AP, PA, LL, RL, RLD, LLD, RLO, LLO)'),
    // Read raw: LATERAL is not a defined term, so the coded view above would be null for it.
    acquisitionFlag: acquisitionFlag({ viewPosition: text(ds, 'x00185101'), bodyPartExamined: text(ds, 'x00180015') }, 'DICOM'),
    bitsStored,
    transferSyntax: syntax,
    burnedInAnnotation: (text(ds, 'x00280301') ?? '').toUpperCase() === 'YES',
    sex: coded('PatientSex', codeSex(text(ds, 'x00100040')), 'M, F or O'),
    age: coded('PatientAge', codeAge(text(ds, 'x00101010')), 'an age string (nnnD, nnnW, nnnM or nnnY) of at most 150 years'),
    notes,
    identity: {
      patientId: decodedText(ds, 'x00100020', names),
      patientName: decodedText(ds, 'x00100010', names),
      birthDate: text(ds, 'x00100030'),
      sopInstanceUid: text(ds, 'x00080018'),
      studyInstanceUid: text(ds, 'x0020000d'),
    },
    uids: { study: text(ds, 'x0020000d'), series: text(ds, 'x0020000e'), sop: text(ds, 'x00080018'), sopClass: text(ds, 'x00080016') },
  }
}

/** Part 10 files carry "DICM" at byte 128; that is how a folder's DICOM files are recognized. */
export function looksLikeDicom(bytes: Uint8Array): boolean {
  return bytes.length > 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d
}
