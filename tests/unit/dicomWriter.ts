/**
 * DICOM files built from the NIH PNGs for the tests, on the app's own Part 10 writer
 * (src/main/interchange/dicomDataset.ts): Explicit VR Little Endian, or a compressed transfer syntax
 * with the given bytes as one encapsulated fragment.
 */
import { concat, tagHeader, writePart10, type DicomItem } from '../../src/main/interchange/dicomDataset'

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
  /** further elements (sequences, private tags, a CS given as a long LO, …); one with the same tag replaces the default */
  extra?: DicomItem
}

export function writeDicom(spec: DicomSpec): Uint8Array {
  const sop = spec.sopInstanceUid ?? '1.2.826.0.1.3680043.10.999.1'
  const dx = '1.2.840.10008.5.1.4.1.1.1.1'
  const ds: DicomItem = [
    { tag: 0x00080016, vr: 'UI', value: dx },
    { tag: 0x00080018, vr: 'UI', value: sop },
    { tag: 0x00100010, vr: 'PN', value: spec.patientName ?? 'DOE^JANE' },
    { tag: 0x00100020, vr: 'LO', value: spec.patientId ?? 'MRN-0042' },
    { tag: 0x00100030, vr: 'DA', value: spec.birthDate ?? '19600102' },
    { tag: 0x00100040, vr: 'CS', value: 'F' },
    { tag: 0x00101010, vr: 'AS', value: '058Y' },
    { tag: 0x00185101, vr: 'CS', value: spec.viewPosition ?? 'PA' },
    { tag: 0x0020000d, vr: 'UI', value: '1.2.826.0.1.3680043.10.999.2' },
    { tag: 0x00280002, vr: 'US', value: 1 },
    { tag: 0x00280004, vr: 'CS', value: spec.photometric },
    { tag: 0x00280010, vr: 'US', value: spec.rows },
    { tag: 0x00280011, vr: 'US', value: spec.columns },
    { tag: 0x00280030, vr: 'DS', value: '0.143\\0.143' },
    { tag: 0x00280100, vr: 'US', value: spec.bitsAllocated },
    { tag: 0x00280101, vr: 'US', value: spec.bitsStored },
    { tag: 0x00280102, vr: 'US', value: spec.bitsStored - 1 },
    { tag: 0x00280103, vr: 'US', value: spec.signed ? 1 : 0 },
    { tag: 0x00280301, vr: 'CS', value: spec.burnedIn ? 'YES' : 'NO' },
    ...(spec.window
      ? ([
          { tag: 0x00281050, vr: 'DS', value: String(spec.window[0]) },
          { tag: 0x00281051, vr: 'DS', value: String(spec.window[1]) },
        ] as DicomItem)
      : []),
    { tag: 0x00281052, vr: 'DS', value: String(spec.intercept ?? 0) },
    { tag: 0x00281053, vr: 'DS', value: String(spec.slope ?? 1) },
  ]
  if (spec.extra) {
    const replaced = new Set(spec.extra.map((e) => e.tag))
    ds.splice(0, ds.length, ...ds.filter((e) => !replaced.has(e.tag)), ...spec.extra)
  }
  const meta = {
    sopClassUid: dx,
    sopInstanceUid: sop,
    implementationClassUid: '1.2.826.0.1.3680043.10.999',
    implementationVersionName: 'CXRLENS_TEST',
    transferSyntaxUid: spec.transferSyntax,
  }
  if (spec.encapsulated) {
    // Pixel data is the last element: an undefined-length OB holding an empty basic offset table
    // item, one fragment and the sequence delimiter, after the dataset the writer sorted.
    const header = new Uint8Array(12)
    const view = new DataView(header.buffer)
    view.setUint16(0, 0x7fe0, true)
    view.setUint16(2, 0x0010, true)
    header.set([0x4f, 0x42], 4)
    view.setUint32(8, 0xffffffff, true)
    const fragments = [
      tagHeader(0xfffee000, 0),
      tagHeader(0xfffee000, spec.encapsulated.length),
      spec.encapsulated,
      tagHeader(0xfffee0dd, 0),
    ]
    return concat([writePart10(ds, meta), header, ...fragments])
  }
  const bytes = new Uint8Array(spec.pixels.length * (spec.bitsAllocated / 8))
  const view = new DataView(bytes.buffer)
  for (let i = 0; i < spec.pixels.length; i++) {
    if (spec.bitsAllocated === 8) bytes[i] = spec.pixels[i]
    else if (spec.signed) view.setInt16(i * 2, spec.pixels[i], true)
    else view.setUint16(i * 2, spec.pixels[i], true)
  }
  ds.push({ tag: 0x7fe00010, vr: spec.bitsAllocated === 8 ? 'OB' : 'OW', value: bytes })
  return writePart10(ds, meta)
}
