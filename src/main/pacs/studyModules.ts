import type { DicomElement, DicomItem } from '../interchange/dicomDataset'
import type { DicomJson } from './resultsTransport'

/** The first value of a DICOM JSON attribute (PS3.18 F.2) as text; a PN joins its component groups with '='. */
export function jsonText(instance: DicomJson, tag: string): string | null {
  const attribute = instance[tag.toUpperCase()] as { vr?: string; Value?: unknown[] } | undefined
  const first = attribute?.Value?.[0]
  if (first === undefined || first === null) return null
  if (attribute?.vr === 'PN' && typeof first === 'object') {
    const pn = first as { Alphabetic?: string; Ideographic?: string; Phonetic?: string }
    const groups = [pn.Alphabetic ?? '', pn.Ideographic ?? '', pn.Phonetic ?? '']
    while (groups.length > 1 && groups.at(-1) === '') groups.pop()
    return groups.join('=')
  }
  return typeof first === 'string' || typeof first === 'number' ? String(first) : null
}

/**
 * The Patient and General Study modules a result sent into the study must carry, copied from the
 * PACS's own answer (never from the case store, which holds pseudonyms only). Type 2 attributes the
 * PACS leaves out are written empty, as the modules require.
 */
const PATIENT_STUDY: Array<[string, Extract<DicomElement, { value: string }>['vr']]> = [
  ['00080020', 'DA'], // StudyDate
  ['00080030', 'TM'], // StudyTime
  ['00080050', 'SH'], // AccessionNumber
  ['00080090', 'PN'], // ReferringPhysicianName
  ['00081030', 'LO'], // StudyDescription
  ['00100010', 'PN'], // PatientName
  ['00100020', 'LO'], // PatientID
  ['00100021', 'LO'], // IssuerOfPatientID
  ['00100030', 'DA'], // PatientBirthDate
  ['00100040', 'CS'], // PatientSex
  ['00200010', 'SH'], // StudyID
]
const OPTIONAL = new Set(['00081030', '00100021'])
const LIMITS: Record<string, number> = { DA: 8, TM: 16, SH: 16, PN: 64, LO: 64, CS: 16 }

export function patientStudyModules(instance: DicomJson): DicomItem {
  const out: DicomItem = []
  for (const [tag, vr] of PATIENT_STUDY) {
    const value = jsonText(instance, tag)
    if (value === null && OPTIONAL.has(tag)) continue
    const text = value ?? ''
    // Named by tag, never quoted: the value is the patient's.
    const parts = vr === 'PN' ? text.split('=') : [text]
    if (parts.length > 3 || parts.some((part) => [...part].length > LIMITS[vr]))
      throw new Error(`The PACS's (${tag.slice(0, 4)},${tag.slice(4)}) ${vr} value is too long to copy`)
    out.push({ tag: parseInt(tag, 16), vr, value: text })
  }
  return out
}
