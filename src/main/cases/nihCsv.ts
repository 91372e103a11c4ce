import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { isKnownFinding, normalizeFinding } from '../../shared/findings'
import { columnIndex, CsvError, parseCsv } from './csv'
import type { ImportFailure } from '../../shared/domain'

/** One row of NIH's Data_Entry_2017.csv. */
export interface NihLabelRow {
  image: string
  findings: string[]
  followUp: number | null
  patientId: string | null
  age: number | null
  sex: string | null
  view: string | null
  originalWidth: number | null
  originalHeight: number | null
  pixelSpacingX: number | null
  pixelSpacingY: number | null
}

/** One row of NIH's box list, still in the 1024×1024 space of the released PNGs. */
export interface NihBoxRow {
  image: string
  finding: string
  x: number
  y: number
  w: number
  h: number
}

export interface Parsed<T> {
  rows: T[]
  /** Rows that could not be read, named by file and line. */
  rejected: ImportFailure[]
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new Error(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
}

function optionalNumber(text: string | undefined): number | null {
  if (text === undefined) return null
  const match = /^\s*(-?\d+(?:\.\d+)?)/.exec(text) // old NIH files wrote ages as "058Y"
  return match ? Number(match[1]) : null
}

// The NIH header puts unquoted commas inside brackets ("OriginalImage[Width,Height]"), so a CSV reader
// sees them as two columns; these are the names it sees.
const LABEL_COLUMNS = ['Image Index', 'Finding Labels']
const LABEL_OPTIONAL = ['Follow-up #', 'Patient ID', 'Patient Age', 'Patient Gender', 'View Position',
  'OriginalImage[Width', 'Height]', 'OriginalImagePixelSpacing[x', 'y]']

export function readNihLabels(path: string): Parsed<NihLabelRow> {
  const file = basename(path)
  const records = parseCsv(readText(path), file)
  if (records.length === 0) throw new CsvError(file, 1, 'is empty; expected the NIH Data_Entry_2017.csv header')
  const col = columnIndex(records[0], file, LABEL_COLUMNS, LABEL_OPTIONAL)
  const rows: NihLabelRow[] = []
  const rejected: ImportFailure[] = []
  const get = (fields: string[], name: string) => (col.has(name) ? fields[col.get(name)!]?.trim() : undefined)
  for (const record of records.slice(1)) {
    const image = get(record.fields, 'Image Index')
    const labels = get(record.fields, 'Finding Labels')
    if (!image || labels === undefined) {
      rejected.push({ name: `${file}:${record.line}`, reason: 'row has no image name or no Finding Labels' })
      continue
    }
    const findings = labels.split('|').map(normalizeFinding).filter(Boolean)
    const unknown = findings.filter((f) => !isKnownFinding(f))
    if (unknown.length) {
      rejected.push({ name: `${file}:${record.line} (${image})`, reason: `unknown finding ${unknown.map((u) => `"${u}"`).join(', ')}` })
      continue
    }
    rows.push({
      image,
      findings,
      followUp: optionalNumber(get(record.fields, 'Follow-up #')),
      patientId: get(record.fields, 'Patient ID') || null,
      age: optionalNumber(get(record.fields, 'Patient Age')),
      sex: get(record.fields, 'Patient Gender') || null,
      view: get(record.fields, 'View Position') || null,
      originalWidth: optionalNumber(get(record.fields, 'OriginalImage[Width')),
      originalHeight: optionalNumber(get(record.fields, 'Height]')),
      pixelSpacingX: optionalNumber(get(record.fields, 'OriginalImagePixelSpacing[x')),
      pixelSpacingY: optionalNumber(get(record.fields, 'y]')),
    })
  }
  return { rows, rejected }
}

/**
 * Reads the NIH box list. NIH ships it as "Image Index, Finding Label, Bbox [x, y, w, h]" (the
 * bracket split into columns); the dev subset names them x, y, w, h. Both put the four numbers right
 * after the finding label, so coordinates are read by position.
 */
export function readNihBoxes(path: string): Parsed<NihBoxRow> {
  const file = basename(path)
  const records = parseCsv(readText(path), file)
  if (records.length === 0) throw new CsvError(file, 1, 'is empty; expected the NIH box list header')
  const col = columnIndex(records[0], file, ['Image Index', 'Finding Label'])
  const first = col.get('Finding Label')! + 1
  const rows: NihBoxRow[] = []
  const rejected: ImportFailure[] = []
  for (const record of records.slice(1)) {
    const image = record.fields[col.get('Image Index')!]?.trim()
    const finding = normalizeFinding(record.fields[col.get('Finding Label')!] ?? '')
    const [x, y, w, h] = record.fields.slice(first, first + 4).map((v) => Number(v))
    const where = `${file}:${record.line}${image ? ` (${image})` : ''}`
    if (!image || !finding) rejected.push({ name: where, reason: 'row has no image name or finding' })
    else if (!isKnownFinding(finding)) rejected.push({ name: where, reason: `unknown finding "${finding}"` })
    else if (![x, y, w, h].every(Number.isFinite) || w <= 0 || h <= 0) rejected.push({ name: where, reason: 'box needs numeric x, y and positive w, h' })
    else rows.push({ image, finding, x, y, w, h })
  }
  return { rows, rejected }
}
