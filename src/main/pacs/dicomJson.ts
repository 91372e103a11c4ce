/**
 * The DICOM JSON model (PS3.18 Annex F) as QIDO-RS and WADO-RS metadata answer it: an array of
 * objects keyed by 8 hexadecimal digits, each `{ vr, Value?, … }`. Checked before use, so an answer
 * that is not DICOM JSON is refused by name instead of being misread.
 */

export type DicomJsonObject = Record<string, { vr?: string; Value?: unknown[]; [key: string]: unknown }>

const TAG = /^[0-9A-Fa-f]{8}$/

/** The reason `value` is not a DICOM JSON array of objects, or null when it is one. */
export function dicomJsonProblem(value: unknown): string | null {
  if (!Array.isArray(value)) return 'the answer is not a JSON array'
  for (let i = 0; i < value.length; i++) {
    const item = value[i] as unknown
    if (!item || typeof item !== 'object' || Array.isArray(item)) return `entry ${i + 1} is not an object`
    for (const [key, element] of Object.entries(item)) {
      if (!TAG.test(key)) return `entry ${i + 1} has the key "${key.slice(0, 20)}", not a DICOM tag`
      if (!element || typeof element !== 'object') return `entry ${i + 1}, tag ${key}: not an attribute object`
      const vr = (element as { vr?: unknown }).vr
      if (typeof vr !== 'string' || !/^[A-Z]{2}$/.test(vr)) return `entry ${i + 1}, tag ${key}: no VR`
      const values = (element as { Value?: unknown }).Value
      if (values !== undefined && !Array.isArray(values)) return `entry ${i + 1}, tag ${key}: Value is not an array`
    }
  }
  return null
}

/** The first value of `tag` as text (a PN's Alphabetic form), or null. */
export function firstString(item: DicomJsonObject, tag: string): string | null {
  const value = item[tag]?.Value?.[0]
  if (typeof value === 'string') return value
  if (typeof value === 'number') return String(value)
  if (value && typeof value === 'object' && typeof (value as { Alphabetic?: unknown }).Alphabetic === 'string')
    return (value as { Alphabetic: string }).Alphabetic
  return null
}

/** Every value of `tag` as text. */
export function allStrings(item: DicomJsonObject, tag: string): string[] {
  return (item[tag]?.Value ?? []).filter((v): v is string | number => typeof v === 'string' || typeof v === 'number').map(String)
}

export function firstNumber(item: DicomJsonObject, tag: string): number | null {
  const value = item[tag]?.Value?.[0]
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN
  return Number.isFinite(n) ? n : null
}

export const TAGS = {
  StudyDate: '00080020',
  AccessionNumber: '00080050',
  ModalitiesInStudy: '00080061',
  Modality: '00080060',
  StudyDescription: '00081030',
  SeriesDescription: '0008103E',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  SOPInstanceUID: '00080018',
  SOPClassUID: '00080016',
  NumberOfStudyRelatedInstances: '00201208',
  NumberOfSeriesRelatedInstances: '00201209',
} as const
