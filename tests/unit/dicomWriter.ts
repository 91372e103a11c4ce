/**
 * A small DICOM Part 10 writer (Explicit VR Little Endian, or any transfer syntax UID with raw
 * bytes), so tests can build DICOM files from the NIH PNGs without external tools.
 */
type Value = { vr: string; data: Uint8Array }

const LONG_VRS = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN'])

function str(vr: string, text: string): Value {
  const bytes = new TextEncoder().encode(text)
  const padded = new Uint8Array(bytes.length + (bytes.length % 2))
  padded.set(bytes)
  if (bytes.length % 2) padded[bytes.length] = vr === 'UI' ? 0 : 0x20
  return { vr, data: padded }
}

function us(value: number): Value {
  const data = new Uint8Array(2)
  new DataView(data.buffer).setUint16(0, value, true)
  return { vr: 'US', data }
}

function ul(value: number): Value {
  const data = new Uint8Array(4)
  new DataView(data.buffer).setUint32(0, value, true)
  return { vr: 'UL', data }
}

function element(tag: number, value: Value): Uint8Array {
  const long = LONG_VRS.has(value.vr)
  const header = new Uint8Array(long ? 12 : 8)
  const view = new DataView(header.buffer)
  view.setUint16(0, tag >>> 16, true)
  view.setUint16(2, tag & 0xffff, true)
  header[4] = value.vr.charCodeAt(0)
  header[5] = value.vr.charCodeAt(1)
  if (long) view.setUint32(8, value.data.length, true)
  else view.setUint16(6, value.data.length, true)
  const out = new Uint8Array(header.length + value.data.length)
  out.set(header)
  out.set(value.data, header.length)
  return out
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

export interface DicomSpec {
  rows: number
  columns: number
  photometric: 'MONOCHROME1' | 'MONOCHROME2'
  bitsAllocated: 8 | 16
  bitsStored: number
  signed?: boolean
  slope?: number
  intercept?: number
  window?: [number, number]
  pixels: ArrayLike<number>
  patientName?: string
  patientId?: string
  birthDate?: string
  sopInstanceUid?: string
  viewPosition?: string
  burnedIn?: boolean
  transferSyntax?: string
  /** raw pixel data bytes for a compressed syntax (written encapsulated) */
  encapsulated?: Uint8Array
}

export function writeDicom(spec: DicomSpec): Uint8Array {
  const syntax = spec.transferSyntax ?? '1.2.840.10008.1.2.1'
  const sop = spec.sopInstanceUid ?? '1.2.826.0.1.3680043.10.999.1'
  const meta = [
    element(0x00020001, { vr: 'OB', data: Uint8Array.of(0, 1) }),
    element(0x00020002, str('UI', '1.2.840.10008.5.1.4.1.1.1.1')),
    element(0x00020003, str('UI', sop)),
    element(0x00020010, str('UI', syntax)),
    element(0x00020012, str('UI', '1.2.826.0.1.3680043.10.999')),
  ]
  const metaBytes = concat(meta)
  let pixelData: Uint8Array
  if (spec.encapsulated) {
    // Encapsulated: an empty basic offset table item, one fragment, a sequence delimiter.
    const item = (tag: number, data: Uint8Array) => {
      const h = new Uint8Array(8)
      const v = new DataView(h.buffer)
      v.setUint16(0, tag >>> 16, true)
      v.setUint16(2, tag & 0xffff, true)
      v.setUint32(4, data.length, true)
      return concat([h, data])
    }
    const body = concat([item(0xfffee000, new Uint8Array(0)), item(0xfffee000, spec.encapsulated), item(0xfffee0dd, new Uint8Array(0))])
    const header = new Uint8Array(12)
    const v = new DataView(header.buffer)
    v.setUint16(0, 0x7fe0, true)
    v.setUint16(2, 0x0010, true)
    header[4] = 0x4f
    header[5] = 0x42
    v.setUint32(8, 0xffffffff, true)
    pixelData = concat([header, body])
  } else {
    const bytes = new Uint8Array(spec.pixels.length * (spec.bitsAllocated / 8))
    const view = new DataView(bytes.buffer)
    for (let i = 0; i < spec.pixels.length; i++) {
      if (spec.bitsAllocated === 8) bytes[i] = spec.pixels[i]
      else if (spec.signed) view.setInt16(i * 2, spec.pixels[i], true)
      else view.setUint16(i * 2, spec.pixels[i], true)
    }
    pixelData = element(0x7fe00010, { vr: spec.bitsAllocated === 8 ? 'OB' : 'OW', data: bytes })
  }
  const ds = [
    element(0x00080016, str('UI', '1.2.840.10008.5.1.4.1.1.1.1')),
    element(0x00080018, str('UI', sop)),
    element(0x00100010, str('PN', spec.patientName ?? 'DOE^JANE')),
    element(0x00100020, str('LO', spec.patientId ?? 'MRN-0042')),
    element(0x00100030, str('DA', spec.birthDate ?? '19600102')),
    element(0x00100040, str('CS', 'F')),
    element(0x00101010, str('AS', '058Y')),
    element(0x00185101, str('CS', spec.viewPosition ?? 'PA')),
    element(0x0020000d, str('UI', '1.2.826.0.1.3680043.10.999.2')),
    element(0x00280002, us(1)),
    element(0x00280004, str('CS', spec.photometric)),
    element(0x00280010, us(spec.rows)),
    element(0x00280011, us(spec.columns)),
    element(0x00280030, str('DS', '0.143\\0.143')),
    element(0x00280100, us(spec.bitsAllocated)),
    element(0x00280101, us(spec.bitsStored)),
    element(0x00280102, us(spec.bitsStored - 1)),
    element(0x00280103, us(spec.signed ? 1 : 0)),
    element(0x00280301, str('CS', spec.burnedIn ? 'YES' : 'NO')),
    ...(spec.window ? [element(0x00281050, str('DS', String(spec.window[0]))), element(0x00281051, str('DS', String(spec.window[1])))] : []),
    element(0x00281052, str('DS', String(spec.intercept ?? 0))),
    element(0x00281053, str('DS', String(spec.slope ?? 1))),
    pixelData,
  ]
  const preamble = new Uint8Array(132)
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128)
  return concat([preamble, element(0x00020000, ul(metaBytes.length)), metaBytes, ...ds])
}
