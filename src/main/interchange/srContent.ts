import type { DicomElement, DicomItem } from './dicomDataset'

/**
 * SR content items (PS3.3 C.17.3) as DICOM sequence items: the building blocks of the TID 1500
 * Measurement Report tree that srExport.ts assembles.
 */
export interface Code {
  value: string
  scheme: string
  meaning: string
}

export const code = (value: string, scheme: string, meaning: string): Code => ({ value, scheme, meaning })

export type Relationship = 'CONTAINS' | 'HAS CONCEPT MOD' | 'HAS OBS CONTEXT' | 'SELECTED FROM'

export const DCM = {
  report: code('126000', 'DCM', 'Imaging Measurement Report'),
  measurements: code('126010', 'DCM', 'Imaging Measurements'),
  group: code('125007', 'DCM', 'Measurement Group'),
  trackingId: code('112039', 'DCM', 'Tracking Identifier'),
  trackingUid: code('112040', 'DCM', 'Tracking Unique Identifier'),
  finding: code('121071', 'DCM', 'Finding'),
  imageRegion: code('111030', 'DCM', 'Image Region'),
  imageLibrary: code('111028', 'DCM', 'Image Library'),
  imageLibraryGroup: code('126200', 'DCM', 'Image Library Group'),
  language: code('121049', 'DCM', 'Language of Content Item and Descendants'),
  procedureReported: code('121058', 'DCM', 'Procedure reported'),
  observerType: code('121005', 'DCM', 'Observer Type'),
  person: code('121006', 'DCM', 'Person'),
  device: code('121007', 'DCM', 'Device'),
  personName: code('121008', 'DCM', 'Person Observer Name'),
  personRole: code('121010', 'DCM', "Person Observer's Role in the Organization"),
  deviceUid: code('121012', 'DCM', 'Device Observer UID'),
  deviceName: code('121013', 'DCM', 'Device Observer Name'),
}

export function codeItem(c: Code): DicomItem {
  return [
    { tag: 0x00080100, vr: 'SH', value: c.value },
    { tag: 0x00080102, vr: 'SH', value: c.scheme },
    { tag: 0x00080104, vr: 'LO', value: c.meaning },
  ]
}

function item(relationship: Relationship, valueType: string, concept: Code | null, rest: DicomElement[]): DicomItem {
  return [
    { tag: 0x0040a010, vr: 'CS', value: relationship },
    { tag: 0x0040a040, vr: 'CS', value: valueType },
    ...(concept ? [{ tag: 0x0040a043, vr: 'SQ', value: [codeItem(concept)] } as DicomElement] : []),
    ...rest,
  ]
}

const children = (items: DicomItem[]): DicomElement[] => (items.length ? [{ tag: 0x0040a730, vr: 'SQ', value: items }] : [])

/** The root's own attributes (no relationship type): its concept, continuity, template and children. */
export function rootContainer(concept: Code, template: string, items: DicomItem[]): DicomItem {
  return [
    { tag: 0x0040a040, vr: 'CS', value: 'CONTAINER' },
    { tag: 0x0040a043, vr: 'SQ', value: [codeItem(concept)] },
    { tag: 0x0040a050, vr: 'CS', value: 'SEPARATE' },
    {
      tag: 0x0040a504,
      vr: 'SQ',
      value: [
        [
          { tag: 0x00080105, vr: 'CS', value: 'DCMR' },
          { tag: 0x0040db00, vr: 'CS', value: template },
        ],
      ],
    },
    ...children(items),
  ]
}

export const container = (rel: Relationship, concept: Code, items: DicomItem[]): DicomItem =>
  item(rel, 'CONTAINER', concept, [{ tag: 0x0040a050, vr: 'CS', value: 'SEPARATE' }, ...children(items)])

export const codeValue = (rel: Relationship, concept: Code, value: Code): DicomItem =>
  item(rel, 'CODE', concept, [{ tag: 0x0040a168, vr: 'SQ', value: [codeItem(value)] }])

export const text = (rel: Relationship, concept: Code, value: string): DicomItem =>
  item(rel, 'TEXT', concept, [{ tag: 0x0040a160, vr: 'UT', value }])

export const uidRef = (rel: Relationship, concept: Code, value: string): DicomItem =>
  item(rel, 'UIDREF', concept, [{ tag: 0x0040a124, vr: 'UI', value }])

/** PN components are separated by ^ and values by \, so a free-text name loses those characters. */
export const personName = (rel: Relationship, concept: Code, name: string): DicomItem =>
  item(rel, 'PNAME', concept, [
    {
      tag: 0x0040a123,
      vr: 'PN',
      value: name
        .replace(/[\\^=]/g, ' ')
        .trim()
        .slice(0, 64),
    },
  ])

export interface ImageRef {
  sopClassUid: string
  sopInstanceUid: string
}

const referencedSop = (ref: ImageRef): DicomElement => ({
  tag: 0x00081199,
  vr: 'SQ',
  value: [
    [
      { tag: 0x00081150, vr: 'UI', value: ref.sopClassUid },
      { tag: 0x00081155, vr: 'UI', value: ref.sopInstanceUid },
    ],
  ],
})

export const image = (rel: Relationship, ref: ImageRef): DicomItem => item(rel, 'IMAGE', null, [referencedSop(ref)])

/**
 * A box as a closed POLYLINE of 5 points (the SR has no rectangle graphic type) in image pixel
 * coordinates, column\row, with (0,0) the top left corner of the top left pixel (PS3.3 C.18.6.1.2),
 * which is the convention boxes are stored in. GraphicData is FL, so values are rounded to float32.
 */
export function boxRegion(concept: Code, box: { x: number; y: number; w: number; h: number }, ref: ImageRef): DicomItem {
  const { x, y, w, h } = box
  const points = [x, y, x + w, y, x + w, y + h, x, y + h, x, y]
  return item('CONTAINS', 'SCOORD', concept, [
    { tag: 0x00700022, vr: 'FL', value: points },
    { tag: 0x00700023, vr: 'CS', value: 'POLYLINE' },
    ...children([image('SELECTED FROM', ref)]),
  ])
}

/** A NUM content item (PS3.3 C.18.1): one measured value with its UCUM units. */
export function numeric(rel: Relationship, concept: Code, value: number, units: Code): DicomItem {
  if (!Number.isFinite(value)) throw new Error(`SR ${concept.meaning}: a measured value must be a finite number`)
  // DS holds at most 16 characters: 6 significant digits fit any probability or score.
  const text = String(Number(value.toPrecision(6)))
  return item(rel, 'NUM', concept, [
    {
      tag: 0x0040a300,
      vr: 'SQ',
      value: [
        [
          { tag: 0x004008ea, vr: 'SQ', value: [codeItem(units)] },
          { tag: 0x0040a30a, vr: 'DS', value: text },
        ],
      ],
    },
  ])
}
