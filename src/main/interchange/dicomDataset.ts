/**
 * A small DICOM Part 10 writer, Explicit VR Little Endian only: enough for the Structured Reports
 * the box export writes (strings, floats, sequences with defined lengths). Elements are sorted by tag
 * at every nesting level, because DICOM requires ascending order and readers rely on it.
 */
export type DicomElement =
  | { tag: number; vr: 'AE' | 'AS' | 'CS' | 'DA' | 'DS' | 'IS' | 'LO' | 'PN' | 'SH' | 'ST' | 'TM' | 'UI' | 'UT'; value: string }
  | { tag: number; vr: 'FL'; value: number[] }
  | { tag: number; vr: 'UL' | 'US'; value: number }
  | { tag: number; vr: 'OB' | 'OW'; value: Uint8Array }
  | { tag: number; vr: 'SQ'; value: DicomItem[] }

export type DicomItem = DicomElement[]

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1'

/** Longest value each string VR allows (PS3.5 table 6.2-1), in characters. */
const MAX_CHARS: Record<string, number> = {
  AE: 16,
  AS: 4,
  CS: 16,
  DA: 8,
  DS: 16,
  IS: 12,
  LO: 64,
  PN: 64,
  SH: 16,
  ST: 1024,
  TM: 16,
  UI: 64,
  UT: 0xfffffffe,
}
const LONG_VRS = new Set(['OB', 'OW', 'SQ', 'UT'])

const tagText = (tag: number) =>
  `(${(tag >>> 16).toString(16).padStart(4, '0')},${(tag & 0xffff).toString(16).padStart(4, '0')})`.toUpperCase()

function stringBytes(element: Extract<DicomElement, { value: string }>): Uint8Array {
  const max = MAX_CHARS[element.vr]
  // Limits hold per value of a multi-valued string (values split by \; ST and UT have one), and a
  // person name's per component group (alphabetic=ideographic=phonetic).
  const values = element.vr === 'ST' || element.vr === 'UT' ? [element.value] : element.value.split('\\')
  const parts = element.vr === 'PN' ? values.flatMap((v) => v.split('=')) : values
  if (parts.some((part) => [...part].length > max))
    throw new Error(`DICOM ${tagText(element.tag)} ${element.vr} value is longer than ${max} characters: "${element.value}"`)
  if (element.vr === 'UI' && !/^(0|[1-9]\d*)(\.(0|[1-9]\d*))*$/.test(element.value))
    throw new Error(`DICOM ${tagText(element.tag)} is not a valid UID: "${element.value}"`)
  const bytes = new TextEncoder().encode(element.value)
  if (bytes.length % 2 === 0) return bytes
  const padded = new Uint8Array(bytes.length + 1)
  padded.set(bytes)
  padded[bytes.length] = element.vr === 'UI' ? 0 : 0x20
  return padded
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

/** An item or delimiter header: tag and 32-bit length, no VR. */
export function tagHeader(tag: number, length: number): Uint8Array {
  const header = new Uint8Array(8)
  const view = new DataView(header.buffer)
  view.setUint16(0, tag >>> 16, true)
  view.setUint16(2, tag & 0xffff, true)
  view.setUint32(4, length, true)
  return header
}

function valueBytes(element: DicomElement): Uint8Array {
  switch (element.vr) {
    case 'FL': {
      const out = new Uint8Array(element.value.length * 4)
      const view = new DataView(out.buffer)
      element.value.forEach((v, i) => view.setFloat32(i * 4, v, true))
      return out
    }
    case 'US':
    case 'UL': {
      const out = new Uint8Array(element.vr === 'US' ? 2 : 4)
      const view = new DataView(out.buffer)
      if (element.vr === 'US') view.setUint16(0, element.value, true)
      else view.setUint32(0, element.value, true)
      return out
    }
    case 'OB':
    case 'OW':
      return element.value.length % 2 ? concat([element.value, new Uint8Array(1)]) : element.value
    case 'SQ':
      return concat(
        element.value.map((item) => {
          const body = encodeDataset(item)
          return concat([tagHeader(0xfffee000, body.length), body])
        }),
      )
    default:
      return stringBytes(element)
  }
}

function encodeElement(element: DicomElement): Uint8Array {
  const value = valueBytes(element)
  const long = LONG_VRS.has(element.vr)
  if (!long && value.length > 0xffff)
    throw new Error(`DICOM ${tagText(element.tag)} ${element.vr} value is too long (${value.length} bytes)`)
  const header = new Uint8Array(long ? 12 : 8)
  const view = new DataView(header.buffer)
  view.setUint16(0, element.tag >>> 16, true)
  view.setUint16(2, element.tag & 0xffff, true)
  header[4] = element.vr.charCodeAt(0)
  header[5] = element.vr.charCodeAt(1)
  if (long) view.setUint32(8, value.length, true)
  else view.setUint16(6, value.length, true)
  return concat([header, value])
}

export function encodeDataset(elements: DicomItem): Uint8Array {
  const sorted = [...elements].sort((a, b) => a.tag - b.tag)
  sorted.forEach((e, i) => {
    if (i > 0 && sorted[i - 1].tag === e.tag) throw new Error(`DICOM ${tagText(e.tag)} appears twice in one dataset`)
  })
  return concat(sorted.map(encodeElement))
}

export interface Part10Meta {
  sopClassUid: string
  sopInstanceUid: string
  implementationClassUid: string
  implementationVersionName: string
  /** Explicit VR Little Endian unless named; the dataset itself is always written in it. */
  transferSyntaxUid?: string
}

/** Preamble, "DICM", the file meta group (with its group length) and the dataset. */
export function writePart10(dataset: DicomItem, meta: Part10Meta): Uint8Array {
  const metaBytes = encodeDataset([
    { tag: 0x00020001, vr: 'OB', value: Uint8Array.of(0, 1) },
    { tag: 0x00020002, vr: 'UI', value: meta.sopClassUid },
    { tag: 0x00020003, vr: 'UI', value: meta.sopInstanceUid },
    { tag: 0x00020010, vr: 'UI', value: meta.transferSyntaxUid ?? EXPLICIT_VR_LITTLE_ENDIAN },
    { tag: 0x00020012, vr: 'UI', value: meta.implementationClassUid },
    { tag: 0x00020013, vr: 'SH', value: meta.implementationVersionName },
  ])
  if (dataset.some((e) => e.tag >>> 16 === 0x0002))
    throw new Error('DICOM file meta elements (group 0002) belong in the meta header, not the dataset')
  const preamble = new Uint8Array(132)
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128)
  return concat([preamble, encodeElement({ tag: 0x00020000, vr: 'UL', value: metaBytes.length }), metaBytes, encodeDataset(dataset)])
}
