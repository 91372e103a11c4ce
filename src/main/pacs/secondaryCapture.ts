import { APP_VERSION } from '../config/version'
import { writePart10, type DicomItem } from '../interchange/dicomDataset'
import { derivedUid, SECONDARY_CAPTURE } from '../interchange/srExport'

export interface ScPlacement {
  studyUid: string
  seriesUid: string
  sopInstanceUid: string
  /** the image the overlay was computed on (Source Image Sequence) */
  source: { sopClassUid: string; sopInstanceUid: string }
  /** Patient and General Study module elements, from the PACS */
  patientStudy: DicomItem
  seriesNumber: string
  seriesDescription: string
  /** what was derived how (Derivation Description, ST) */
  derivation: string
  at: string
}

/**
 * The heatmap as the reader saw it, as a Secondary Capture Image (PS3.3 A.8.1): 8-bit RGB pixels,
 * marked as derived AI output so no one mistakes it for an acquired image: ImageType
 * DERIVED\SECONDARY, BurnedInAnnotation YES (the overlay is in the pixels), ConversionType WSD
 * (workstation), the series description and Derivation Description saying what made it.
 */
export function secondaryCapture(rgb: Uint8Array, width: number, height: number, placement: ScPlacement): Uint8Array {
  if (rgb.length !== width * height * 3) throw new Error(`Secondary Capture: ${rgb.length} bytes for ${width}×${height} RGB`)
  const stamp = new Date(placement.at)
  const iso = (Number.isNaN(stamp.getTime()) ? new Date(0) : stamp).toISOString()
  const date = iso.slice(0, 10).replace(/-/g, '')
  const time = iso.slice(11, 19).replace(/:/g, '')
  const dataset: DicomItem = [
    { tag: 0x00080005, vr: 'CS', value: 'ISO_IR 192' },
    { tag: 0x00080008, vr: 'CS', value: 'DERIVED\\SECONDARY' },
    { tag: 0x00080012, vr: 'DA', value: date },
    { tag: 0x00080013, vr: 'TM', value: time },
    { tag: 0x00080016, vr: 'UI', value: SECONDARY_CAPTURE },
    { tag: 0x00080018, vr: 'UI', value: placement.sopInstanceUid },
    { tag: 0x00080023, vr: 'DA', value: date },
    { tag: 0x00080033, vr: 'TM', value: time },
    { tag: 0x00080060, vr: 'CS', value: 'OT' },
    { tag: 0x00080064, vr: 'CS', value: 'WSD' },
    { tag: 0x00080070, vr: 'LO', value: 'CXR Lens' },
    { tag: 0x00080201, vr: 'SH', value: '+0000' },
    { tag: 0x0008103e, vr: 'LO', value: placement.seriesDescription },
    { tag: 0x00081090, vr: 'LO', value: 'CXR Lens' },
    { tag: 0x00082111, vr: 'ST', value: placement.derivation },
    {
      tag: 0x00082112,
      vr: 'SQ',
      value: [
        [
          { tag: 0x00081150, vr: 'UI', value: placement.source.sopClassUid },
          { tag: 0x00081155, vr: 'UI', value: placement.source.sopInstanceUid },
        ],
      ],
    },
    { tag: 0x00181020, vr: 'LO', value: APP_VERSION },
    { tag: 0x0020000d, vr: 'UI', value: placement.studyUid },
    { tag: 0x0020000e, vr: 'UI', value: placement.seriesUid },
    { tag: 0x00200011, vr: 'IS', value: placement.seriesNumber },
    { tag: 0x00200013, vr: 'IS', value: '1' },
    { tag: 0x00200020, vr: 'CS', value: '' },
    { tag: 0x00280002, vr: 'US', value: 3 },
    { tag: 0x00280004, vr: 'CS', value: 'RGB' },
    { tag: 0x00280006, vr: 'US', value: 0 },
    { tag: 0x00280010, vr: 'US', value: height },
    { tag: 0x00280011, vr: 'US', value: width },
    { tag: 0x00280100, vr: 'US', value: 8 },
    { tag: 0x00280101, vr: 'US', value: 8 },
    { tag: 0x00280102, vr: 'US', value: 7 },
    { tag: 0x00280103, vr: 'US', value: 0 },
    { tag: 0x00280301, vr: 'CS', value: 'YES' },
    { tag: 0x00282110, vr: 'CS', value: '00' },
    ...placement.patientStudy,
    { tag: 0x7fe00010, vr: 'OB', value: rgb },
  ]
  return writePart10(dataset, {
    sopClassUid: SECONDARY_CAPTURE,
    sopInstanceUid: placement.sopInstanceUid,
    implementationClassUid: derivedUid('implementation'),
    implementationVersionName: `CXRLENS_${APP_VERSION}`.slice(0, 16),
  })
}
