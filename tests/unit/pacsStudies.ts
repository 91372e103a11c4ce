/**
 * Test studies carrying PHI for the PACS tests: two patients, three studies (CR and DX, three dates,
 * accession numbers), four instances, on NIH pixels. Every identifying value is a marker
 * (phiMarkers.ts's Marker), so a test can search a data folder for each of them.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import type { DicomItem } from '../../src/main/interchange/dicomDataset'
import { writeDicom } from './dicomWriter'
import { NIH_256 } from './helpers'
import type { Marker } from './phiMarkers'

export interface TestInstance {
  bytes: Uint8Array
  patient: string
  study: TestStudy
  sopInstanceUid: string
}

export interface TestStudy {
  uid: string
  seriesUid: string
  date: string
  modality: 'CR' | 'DX'
  accession: string
  patientId: string
}

const ROOT = '1.2.826.0.1.3680043.10.999.8'

export const PATIENTS = [
  { id: 'PHIQZMRN7001', name: 'PHIQZFAMILYA^PHIQZGIVENA', birth: '19410203' },
  { id: 'PHIQZMRN7002', name: 'PHIQZFAMILYB^PHIQZGIVENB', birth: '19520814' },
]

export const STUDIES: TestStudy[] = [
  { uid: `${ROOT}.1`, seriesUid: `${ROOT}.1.1`, date: '20240110', modality: 'CR', accession: 'PHIQZACC0001', patientId: PATIENTS[0].id },
  { uid: `${ROOT}.2`, seriesUid: `${ROOT}.2.1`, date: '20240320', modality: 'DX', accession: 'PHIQZACC0002', patientId: PATIENTS[0].id },
  { uid: `${ROOT}.3`, seriesUid: `${ROOT}.3.1`, date: '20230505', modality: 'DX', accession: 'PHIQZACC0003', patientId: PATIENTS[1].id },
]

/** Instances per study: the first has two. */
const LAYOUT = [0, 0, 1, 2]

export async function buildTestInstances(): Promise<TestInstance[]> {
  const names = readdirSync(NIH_256).sort().slice(0, LAYOUT.length)
  const out: TestInstance[] = []
  for (let i = 0; i < LAYOUT.length; i++) {
    const study = STUDIES[LAYOUT[i]]
    const patient = PATIENTS.find((p) => p.id === study.patientId)!
    const pixels = new Uint8Array(
      await sharp(readFileSync(join(NIH_256, names[i])))
        .greyscale()
        .raw()
        .toBuffer(),
    )
    const sopInstanceUid = `${study.uid}.1.${i + 1}`
    const extra: DicomItem = [
      { tag: 0x00080020, vr: 'DA', value: study.date },
      { tag: 0x00080030, vr: 'TM', value: '101500' },
      { tag: 0x00080050, vr: 'SH', value: study.accession },
      { tag: 0x00080060, vr: 'CS', value: study.modality },
      { tag: 0x00080080, vr: 'LO', value: 'PHIQZHOSPITAL' },
      { tag: 0x00080090, vr: 'PN', value: 'PHIQZREFERRER^DOC' },
      { tag: 0x00081030, vr: 'LO', value: `PHIQZDESC${LAYOUT[i]} CHEST` },
      { tag: 0x0020000d, vr: 'UI', value: study.uid },
      { tag: 0x0020000e, vr: 'UI', value: study.seriesUid },
      { tag: 0x00200010, vr: 'SH', value: `PHIQZSID${LAYOUT[i]}` },
      { tag: 0x00200011, vr: 'IS', value: '1' },
      { tag: 0x00200013, vr: 'IS', value: String(i + 1) },
    ] as DicomItem
    const bytes = writeDicom({
      rows: 256,
      columns: 256,
      photometric: 'MONOCHROME2',
      bitsAllocated: 8,
      bitsStored: 8,
      pixels,
      patientName: patient.name,
      patientId: patient.id,
      birthDate: patient.birth,
      sopInstanceUid,
      extra,
    })
    out.push({ bytes, patient: patient.id, study, sopInstanceUid })
  }
  return out
}

/** Every identifying value of the test studies, for findMarkers. */
export function testMarkers(): Marker[] {
  const markers: Marker[] = []
  for (const p of PATIENTS) {
    markers.push({ where: 'PatientID', value: p.id }, { where: 'PatientBirthDate', value: p.birth })
    for (const part of p.name.split('^')) markers.push({ where: 'PatientName', value: part })
  }
  for (const s of STUDIES) {
    markers.push(
      { where: 'AccessionNumber', value: s.accession },
      { where: 'StudyInstanceUID', value: s.uid },
      { where: 'SeriesInstanceUID', value: s.seriesUid },
    )
  }
  for (let i = 0; i < LAYOUT.length; i++) markers.push({ where: 'SOPInstanceUID', value: `${STUDIES[LAYOUT[i]].uid}.1.${i + 1}` })
  markers.push(
    { where: 'InstitutionName', value: 'PHIQZHOSPITAL' },
    { where: 'ReferringPhysicianName', value: 'PHIQZREFERRER' },
    { where: 'StudyDescription', value: 'PHIQZDESC' },
    { where: 'StudyID', value: 'PHIQZSID' },
  )
  return markers
}
