import { createHash } from 'node:crypto'
import type { Box } from '../../shared/domain'
import { NIH_FINDINGS } from '../../shared/findings'
import { APP_VERSION } from '../config/version'
import type { CaseRecord } from '../store/caseRepository'
import type { CaseStore } from '../store/caseStore'
import type { DicomItem } from './dicomDataset'
import { writePart10 } from './dicomDataset'
import { allCases, selectedBoxes, type BoxExportFilter } from './exporters'
import {
  boxRegion,
  code,
  codeValue,
  container,
  DCM,
  image,
  personName,
  rootContainer,
  text,
  uidRef,
  type Code,
  type ImageRef,
} from './srContent'

export const ENHANCED_SR = '1.2.840.10008.5.1.4.1.1.88.22'
/** The stored image is a PNG (derived from the DICOM for DICOM cases): a secondary capture of the source. */
export const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7'
/** No standard code list covers the 14 ChestX-ray14 findings one to one, so they get a local scheme. */
export const LOCAL_SCHEME = '99CXRLENS'
/** Manufacturer of every SR CXR Lens writes: how a pull tells its SRs from other systems' (pacs/studyResults.ts). */
export const SR_MANUFACTURER = 'CXR Lens'

/** A UID under the 2.25 root: 128 bits of SHA-256 of the parts, with UUID version 8 and variant bits. */
export function derivedUid(...parts: string[]): string {
  const bytes = createHash('sha256')
    .update(['cxr-lens', ...parts].join('\0'))
    .digest()
    .subarray(0, 16)
  bytes[6] = (bytes[6] & 0x0f) | 0x80
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  return `2.25.${BigInt(`0x${bytes.toString('hex')}`).toString()}`
}

/**
 * What identifies a case's image without identifying the patient: for a DICOM case its image name,
 * the keyed-hash pseudonym of the SOP Instance UID (the database keeps no DICOM UIDs), else the
 * SHA-256 of the imported file. Re-exports of the same case therefore reference the same UIDs.
 */
export function caseImageUids(record: CaseRecord): { study: string; series: string; sop: string } {
  const key = record.sourceFormat === 'dicom' ? `dicom:${record.imageName}` : `sha256:${record.sha256}`
  return { study: derivedUid('study', key), series: derivedUid('series', key), sop: derivedUid('image', key) }
}

/** CXR01…CXR14 for the NIH findings in NIH order; any other finding a reader typed gets a hash-derived value. */
export function findingCode(finding: string): Code {
  const index = NIH_FINDINGS.indexOf(finding as (typeof NIH_FINDINGS)[number])
  const value =
    index >= 0 ? `CXR${String(index + 1).padStart(2, '0')}` : `CXRX${createHash('sha256').update(finding).digest('hex').slice(0, 12)}`
  return code(value, LOCAL_SCHEME, finding)
}

const ROLE_CODES: Record<string, Code> = {
  radiologist: code('66862007', 'SCT', 'Radiologist'),
  clinical_advisor: code('309343006', 'SCT', 'Physician'),
}

/** TID 1002 observer context: a reader is a person observer, the dataset a device observer. */
function observerItems(store: CaseStore, box: Box): DicomItem[] {
  if (box.source === 'dataset') {
    return [
      codeValue('HAS OBS CONTEXT', DCM.observerType, DCM.device),
      uidRef('HAS OBS CONTEXT', DCM.deviceUid, derivedUid('device', box.author)),
      text('HAS OBS CONTEXT', DCM.deviceName, box.author),
    ]
  }
  const reader = box.readerId === null ? undefined : store.readers.get(box.readerId)
  const role = reader && ROLE_CODES[reader.role]
  return [
    codeValue('HAS OBS CONTEXT', DCM.observerType, DCM.person),
    personName('HAS OBS CONTEXT', DCM.personName, reader?.name ?? box.author),
    ...(role ? [codeValue('HAS OBS CONTEXT', DCM.personRole, role)] : []),
  ]
}

const observerKey = (box: Box) => (box.source === 'dataset' ? `dataset:${box.author}` : `reader:${box.readerId ?? box.author}`)

/** DA and TM in UTC (the file says so with TimezoneOffsetFromUTC). */
function dicomDateTime(iso: string): { date: string; time: string } {
  const d = new Date(iso)
  const stamp = Number.isNaN(d.getTime()) ? new Date(0).toISOString() : d.toISOString()
  return { date: stamp.slice(0, 10).replace(/-/g, ''), time: stamp.slice(11, 19).replace(/:/g, '') }
}

/** One Measurement Group: who drew it, what it is and where; `extra` holds its measurements (NUM items). */
export interface SrGroup {
  /** TID 1002 observer context items of whoever made it */
  observer: DicomItem[]
  /** groups with the same key share one observer */
  observerKey: string
  trackingId: string
  trackingUid: string
  finding: string
  box: { x: number; y: number; w: number; h: number }
  extra?: DicomItem[]
}

/** Where a report goes and what it references: the export's derived UIDs, or a push's original study. */
export interface SrPlacement {
  studyUid: string
  seriesUid: string
  sopInstanceUid: string
  /** the image the regions are drawn on, and its series */
  ref: ImageRef
  refSeriesUid: string
  /** Patient and General Study module elements (the export's are pseudonyms and empty values) */
  patientStudy: DicomItem
  seriesNumber: string
  seriesDescription?: string
  /** content date and time, ISO */
  at: string
}

/** TID 1002 observer context of a box: a reader is a person observer, the dataset a device observer. */
export function boxObserver(store: CaseStore, box: Box): Pick<SrGroup, 'observer' | 'observerKey'> {
  return { observer: observerItems(store, box), observerKey: observerKey(box) }
}

/** A device observer (a model): its name, and a UID derived from what identifies it. */
export function deviceObserver(name: string, uidParts: string[]): Pick<SrGroup, 'observer' | 'observerKey'> {
  return {
    observer: [
      codeValue('HAS OBS CONTEXT', DCM.observerType, DCM.device),
      uidRef('HAS OBS CONTEXT', DCM.deviceUid, derivedUid('device', ...uidParts)),
      text('HAS OBS CONTEXT', DCM.deviceName, name),
    ],
    observerKey: `device:${uidParts.join(':')}`,
  }
}

function measurementGroup(group: SrGroup, ref: ImageRef, perGroupObserver: boolean): DicomItem {
  return container('CONTAINS', DCM.group, [
    ...(perGroupObserver ? group.observer : []),
    text('CONTAINS', DCM.trackingId, group.trackingId),
    uidRef('CONTAINS', DCM.trackingUid, group.trackingUid),
    codeValue('CONTAINS', DCM.finding, findingCode(group.finding)),
    boxRegion(DCM.imageRegion, group.box, ref),
    ...(group.extra ?? []),
  ])
}

/** A TID 1500 Measurement Report (Enhanced SR, Part 10 bytes) of the groups, placed as `placement` says. */
export function measurementReport(groups: SrGroup[], placement: SrPlacement): Uint8Array {
  const { ref } = placement
  const observers = new Map(groups.map((g) => [g.observerKey, g]))
  const content = rootContainer(DCM.report, '1500', [
    codeValue('HAS CONCEPT MOD', DCM.language, code('en-US', 'RFC5646', 'English (United States)')),
    ...[...observers.values()].flatMap((g) => g.observer),
    codeValue('HAS CONCEPT MOD', DCM.procedureReported, code('399208008', 'SCT', 'Plain chest X-ray')),
    container('CONTAINS', DCM.imageLibrary, [container('CONTAINS', DCM.imageLibraryGroup, [image('CONTAINS', ref)])]),
    container(
      'CONTAINS',
      DCM.measurements,
      groups.map((g) => measurementGroup(g, ref, observers.size > 1)),
    ),
  ])
  const { date, time } = dicomDateTime(placement.at)
  const dataset: DicomItem = [
    { tag: 0x00080005, vr: 'CS', value: 'ISO_IR 192' },
    { tag: 0x00080016, vr: 'UI', value: ENHANCED_SR },
    { tag: 0x00080018, vr: 'UI', value: placement.sopInstanceUid },
    { tag: 0x00080023, vr: 'DA', value: date },
    { tag: 0x00080033, vr: 'TM', value: time },
    { tag: 0x00080060, vr: 'CS', value: 'SR' },
    { tag: 0x00080070, vr: 'LO', value: SR_MANUFACTURER },
    {
      tag: 0x00080110,
      vr: 'SQ',
      value: [
        [
          { tag: 0x00080102, vr: 'SH', value: LOCAL_SCHEME },
          { tag: 0x00080115, vr: 'ST', value: 'CXR Lens ChestX-ray14 findings' },
          { tag: 0x00080116, vr: 'ST', value: 'CXR Lens (local codes; meanings spelled as in NIH Data_Entry_2017.csv)' },
        ],
      ],
    },
    { tag: 0x00080201, vr: 'SH', value: '+0000' },
    ...(placement.seriesDescription ? [{ tag: 0x0008103e, vr: 'LO', value: placement.seriesDescription } as const] : []),
    { tag: 0x00081090, vr: 'LO', value: 'CXR Lens' },
    { tag: 0x00081111, vr: 'SQ', value: [] },
    { tag: 0x00181020, vr: 'LO', value: APP_VERSION },
    { tag: 0x0020000d, vr: 'UI', value: placement.studyUid },
    { tag: 0x0020000e, vr: 'UI', value: placement.seriesUid },
    { tag: 0x00200011, vr: 'IS', value: placement.seriesNumber },
    { tag: 0x00200013, vr: 'IS', value: '1' },
    { tag: 0x0040a372, vr: 'SQ', value: [] },
    {
      tag: 0x0040a375,
      vr: 'SQ',
      value: [
        [
          {
            tag: 0x00081115,
            vr: 'SQ',
            value: [
              [
                {
                  tag: 0x00081199,
                  vr: 'SQ',
                  value: [
                    [
                      { tag: 0x00081150, vr: 'UI', value: ref.sopClassUid },
                      { tag: 0x00081155, vr: 'UI', value: ref.sopInstanceUid },
                    ],
                  ],
                },
                { tag: 0x0020000e, vr: 'UI', value: placement.refSeriesUid },
              ],
            ],
          },
          { tag: 0x0020000d, vr: 'UI', value: placement.studyUid },
        ],
      ],
    },
    { tag: 0x0040a491, vr: 'CS', value: 'COMPLETE' },
    { tag: 0x0040a493, vr: 'CS', value: 'UNVERIFIED' },
    ...placement.patientStudy,
    ...content,
  ]
  return writePart10(dataset, {
    sopClassUid: ENHANCED_SR,
    sopInstanceUid: placement.sopInstanceUid,
    implementationClassUid: derivedUid('implementation'),
    implementationVersionName: `CXRLENS_${APP_VERSION}`.slice(0, 16),
  })
}

/** The groups of a case's boxes, each with its author as observer. */
export function boxGroups(store: CaseStore, record: CaseRecord, boxes: Box[]): SrGroup[] {
  return boxes.map((b) => ({
    ...boxObserver(store, b),
    trackingId: `${b.finding} box ${b.id}`,
    trackingUid: derivedUid('box', caseImageUids(record).sop, String(b.id)),
    finding: b.finding,
    box: b,
  }))
}

/** One TID 1500 Measurement Report (Enhanced SR, Part 10 bytes) for the given boxes of one case. */
export function caseSr(store: CaseStore, record: CaseRecord, boxes: Box[]): { sopInstanceUid: string; bytes: Uint8Array } {
  const uids = caseImageUids(record)
  const fingerprint = JSON.stringify(boxes.map((b) => [b.id, b.finding, b.x, b.y, b.w, b.h, b.source, b.author, b.readerId, b.updatedAt]))
  const sopInstanceUid = derivedUid('sr', uids.sop, fingerprint)
  // De-identified: the pseudonym (or image name) stands in for name and id; other patient attributes stay empty.
  const patient = record.patientPseudoId ?? record.imageName
  const bytes = measurementReport(boxGroups(store, record, boxes), {
    studyUid: uids.study,
    seriesUid: derivedUid('sr-series', uids.sop),
    sopInstanceUid,
    ref: { sopClassUid: SECONDARY_CAPTURE, sopInstanceUid: uids.sop },
    refSeriesUid: uids.series,
    seriesNumber: '1',
    at:
      boxes
        .map((b) => b.updatedAt)
        .sort()
        .at(-1) ?? '',
    patientStudy: [
      { tag: 0x00080020, vr: 'DA', value: '' },
      { tag: 0x00080030, vr: 'TM', value: '' },
      { tag: 0x00080050, vr: 'SH', value: '' },
      { tag: 0x00080090, vr: 'PN', value: '' },
      { tag: 0x00100010, vr: 'PN', value: patient.slice(0, 64) },
      { tag: 0x00100020, vr: 'LO', value: patient.slice(0, 64) },
      { tag: 0x00100030, vr: 'DA', value: '' },
      { tag: 0x00100040, vr: 'CS', value: '' },
      { tag: 0x00200010, vr: 'SH', value: '' },
    ],
  })
  return { sopInstanceUid, bytes }
}

/** One SR per case that has boxes passing the filter, in worklist order. */
export function* exportBoxesSr(
  store: CaseStore,
  filter: BoxExportFilter = {},
): Generator<{ record: CaseRecord; sopInstanceUid: string; bytes: Uint8Array }> {
  for (const record of allCases(store)) {
    const boxes = selectedBoxes(store, record.id, filter)
    if (boxes.length) yield { record, ...caseSr(store, record, boxes) }
  }
}
