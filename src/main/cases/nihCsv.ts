import { basename } from 'node:path'
import { isKnownFinding, normalizeFinding } from '../../shared/findings'
import { codeAge, codeNumber, codeSex, codeView, type Coded } from './codedAttributes'
import { clip, columnCountProblem, columnIndex, CsvError, parseCsv } from './csv'
import { readRegularFileSync } from './regularFile'
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
  /** from an `Author` column (our export's --with-author): the reader, or the dataset, who drew it */
  author?: string
}

export interface Parsed<T> {
  rows: T[]
  /** Rows that could not be read, named by file and line. */
  rejected: ImportFailure[]
  /**
   * Per image: values stored as unknown because they were outside their code set or range, one
   * line each naming file, line and column (never the value: a free-text field may hold PHI).
   */
  warnings?: Map<string, string[]>
}

/** CSVs are read whole before an import starts; NIH's full Data_Entry_2017.csv is 8 MB. */
export const MAX_CSV_BYTES = 256 * 1024 * 1024

function readText(path: string): string {
  try {
    return readRegularFileSync(path, { maxBytes: MAX_CSV_BYTES, allowEmpty: true }).toString('utf8')
  } catch (error) {
    throw new Error(`Cannot read ${path}: ${(error as { reason?: string }).reason ?? (error as Error).message}`)
  }
}

/** A file name as a CSV may give it: one path component a file system can hold. */
function isFileName(name: string): boolean {
  return name.length <= 255 && !/[/\\\0]/.test(name) && name !== '.' && name !== '..'
}

// The NIH header puts unquoted commas inside brackets ("OriginalImage[Width,Height]"), so a CSV reader
// sees them as two columns; these are the names it sees.
const LABEL_COLUMNS = ['Image Index', 'Finding Labels']
const LABEL_OPTIONAL = [
  'Follow-up #',
  'Patient ID',
  'Patient Age',
  'Patient Gender',
  'View Position',
  'OriginalImage[Width',
  'Height]',
  'OriginalImagePixelSpacing[x',
  'y]',
]

export function readNihLabels(path: string): Parsed<NihLabelRow> {
  const file = basename(path)
  const records = parseCsv(readText(path), file)
  if (records.length === 0) throw new CsvError(file, 1, 'is empty; expected the NIH Data_Entry_2017.csv header')
  const col = columnIndex(records[0], file, LABEL_COLUMNS, LABEL_OPTIONAL)
  const rows: NihLabelRow[] = []
  const rejected: ImportFailure[] = []
  const warnings = new Map<string, string[]>()
  const get = (fields: string[], name: string) => (col.has(name) ? fields[col.get(name)!]?.trim() : undefined)
  for (const record of records.slice(1)) {
    const columns = columnCountProblem(records[0], record)
    if (columns) {
      rejected.push({ name: `${file}:${record.line}`, reason: columns })
      continue
    }
    const image = get(record.fields, 'Image Index')
    const labels = get(record.fields, 'Finding Labels')
    if (!image || labels === undefined) {
      rejected.push({ name: `${file}:${record.line}`, reason: 'row has no image name or no Finding Labels' })
      continue
    }
    if (!isFileName(image)) {
      rejected.push({
        name: `${file}:${record.line}`,
        reason: `Image Index ${clip(JSON.stringify(image))} is not a file name (at most 255 characters, no slashes)`,
      })
      continue
    }
    const findings = labels.split('|').map(normalizeFinding).filter(Boolean)
    const unknown = [...new Set(findings.filter((f) => !isKnownFinding(f)))]
    if (unknown.length) {
      const listed = unknown
        .slice(0, 3)
        .map((u) => `"${clip(u, 40)}"`)
        .join(', ')
      rejected.push({
        name: `${file}:${record.line} (${image})`,
        reason: `unknown finding ${listed}${unknown.length > 3 ? ` and ${unknown.length - 3} more` : ''}`,
      })
      continue
    }
    const notes: string[] = []
    const checked = <T>(column: string, coded: Coded<T>, what: string): T | null => {
      if (coded.invalid) notes.push(`${file}:${record.line}: ${column} is not ${what}; stored as unknown`)
      return coded.value
    }
    const number = (column: string, min: number, max: number, integer: boolean, what: string) =>
      checked(column, codeNumber(get(record.fields, column), min, max, integer), what)
    rows.push({
      image,
      findings,
      followUp: number('Follow-up #', 0, 1e6, true, 'a follow-up number'),
      patientId: get(record.fields, 'Patient ID') || null,
      age: checked('Patient Age', codeAge(get(record.fields, 'Patient Age')), 'a possible age (years, at most 150)'),
      sex: checked('Patient Gender', codeSex(get(record.fields, 'Patient Gender')), 'M, F or O'),
      view: checked(
        'View Position',
        codeView(get(record.fields, 'View Position')),
        'a DICOM view position (AP, PA, LL, RL, RLD, LLD, RLO, LLO)',
      ),
      originalWidth: number('OriginalImage[Width', 1, 65535, true, 'a width in pixels'),
      originalHeight: number('Height]', 1, 65535, true, 'a height in pixels'),
      pixelSpacingX: number('OriginalImagePixelSpacing[x', 1e-6, 100, false, 'a pixel spacing in mm'),
      pixelSpacingY: number('y]', 1e-6, 100, false, 'a pixel spacing in mm'),
    })
    if (notes.length) warnings.set(image, [...(warnings.get(image) ?? []), ...notes])
  }
  return { rows, rejected, warnings }
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
  const col = columnIndex(records[0], file, ['Image Index', 'Finding Label'], ['Author'])
  const first = col.get('Finding Label')! + 1
  const authorAt = col.get('Author')
  const rows: NihBoxRow[] = []
  const rejected: ImportFailure[] = []
  for (const record of records.slice(1)) {
    const columns = columnCountProblem(records[0], record)
    if (columns) {
      rejected.push({ name: `${file}:${record.line}`, reason: columns })
      continue
    }
    const author = authorAt === undefined ? undefined : (record.fields[authorAt] ?? '').trim()
    const image = record.fields[col.get('Image Index')!]?.trim()
    const finding = normalizeFinding(record.fields[col.get('Finding Label')!] ?? '')
    const [x, y, w, h] = record.fields.slice(first, first + 4).map((v) => Number(v))
    const where = `${file}:${record.line}${image ? ` (${clip(image)})` : ''}`
    if (!image || !finding) rejected.push({ name: where, reason: 'row has no image name or finding' })
    else if (!isFileName(image))
      rejected.push({ name: where, reason: 'Image Index is not a file name (at most 255 characters, no slashes)' })
    else if (!isKnownFinding(finding)) rejected.push({ name: where, reason: `unknown finding "${clip(finding, 40)}"` })
    else if (![x, y, w, h].every(Number.isFinite) || w <= 0 || h <= 0)
      rejected.push({ name: where, reason: 'box needs numeric x, y and positive w, h' })
    else if (author !== undefined && !author) rejected.push({ name: where, reason: 'the Author column is empty' })
    else rows.push({ image, finding, x, y, w, h, ...(author !== undefined ? { author } : {}) })
  }
  return { rows, rejected }
}
