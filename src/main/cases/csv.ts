/**
 * A small RFC 4180 reader (quotes, doubled quotes, CRLF/LF). Errors carry the file name and line so
 * a user can find the bad row.
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

export class CsvError extends Error {
  constructor(file: string, line: number, problem: string) {
    super(`${file}, line ${line}: ${problem}`)
    this.name = 'CsvError'
  }
}

/**
 * A CSV value quoted in a message, cut short: a 1 MB field must not become a 1 MB error line (or
 * one listed twice). Control characters are shown escaped so a message stays one line.
 */
export function clip(value: string, max = 60): string {
  const shown = value.length > max ? `${value.slice(0, max)}… (${value.length} characters)` : value
  let out = ''
  for (const c of shown) {
    const code = c.charCodeAt(0)
    out += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : c
  }
  return out
}

export interface CsvRecord {
  line: number
  fields: string[]
}

export function parseCsv(text: string, file: string): CsvRecord[] {
  const records: CsvRecord[] = []
  let fields: string[] = []
  let field = ''
  let quoted = false
  let line = 1
  let recordLine = 1
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0 // a UTF-8 BOM from spreadsheet exports
  const endRecord = () => {
    fields.push(field)
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields })
    fields = []
    field = ''
  }
  for (; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i++
        } else quoted = false
      } else {
        if (ch === '\n') line++
        field += ch
      }
      continue
    }
    if (ch === '"' && field === '') quoted = true
    else if (ch === ',') {
      fields.push(field)
      field = ''
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      endRecord()
      line++
      recordLine = line
    } else if (ch === '\0') throw new CsvError(file, line, 'contains a NUL byte; this is not a text CSV file')
    else field += ch
  }
  if (quoted) throw new CsvError(file, recordLine, 'a quoted field is never closed')
  if (field !== '' || fields.length > 0) endRecord()
  return records
}

/** Finds columns by header name (trimmed, case-insensitive); throws naming the file and the missing columns. */
export function columnIndex(header: CsvRecord, file: string, required: string[], optional: string[] = []): Map<string, number> {
  const normalized = header.fields.map((name) => name.trim().toLowerCase())
  const index = new Map<string, number>()
  const missing: string[] = []
  for (const name of [...required, ...optional]) {
    const at = normalized.indexOf(name.toLowerCase())
    if (at >= 0) index.set(name, at)
    else if (required.includes(name)) missing.push(name)
  }
  if (missing.length) {
    throw new CsvError(
      file,
      header.line,
      `missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} (found: ${
        clip(
          header.fields
            .filter(Boolean)
            .slice(0, 20)
            .map((f) => clip(f, 40))
            .join(', '),
          300,
        ) || 'nothing'
      })`,
    )
  }
  return index
}

/**
 * How many columns a row must have: the header's, not counting empty names at its end (NIH's
 * Data_Entry_2017.csv header ends in a comma its rows lack). A row may carry empty fields up to the
 * header's full width, nothing more and nothing less: a value shifted by an unquoted comma must never
 * land in another column (a label in the wrong row, an age read as a sex).
 */
export function columnCountProblem(header: CsvRecord, record: CsvRecord): string | null {
  let named = header.fields.length
  while (named > 0 && header.fields[named - 1].trim() === '') named--
  const n = record.fields.length
  if (n === named) return null
  if (n > named && n <= header.fields.length && record.fields.slice(named).every((f) => f.trim() === '')) return null
  return `row has ${n} column${n === 1 ? '' : 's'}, the header has ${named}${n > named ? ' (an unquoted comma in a field?)' : ''}; row refused`
}

/**
 * Reads and parses a small CSV the user names (a split file, a teacher's predictions), refusing one that
 * cannot be read or has no data row with `what` and the path in the message. `file` is its base name,
 * the name later errors cite with a line.
 */
export function readCsvFile(path: string, what: string): { file: string; records: CsvRecord[] } {
  const file = basename(path)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new Error(`${what} ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`)
  }
  const records = parseCsv(text, file)
  if (records.length < 2) throw new Error(`${what} ${file} has no rows`)
  return { file, records }
}
