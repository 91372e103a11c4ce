/**
 * Another model's probabilities on the same images, as vendors and papers ship them: a CSV with an
 * `Image Index` column and one `prob_<Finding>` column per finding (NIH spelling, e.g.
 * prob_Pleural_Thickening). Read whole and refused on the first bad row, naming file and line, so a
 * comparison never silently runs on half a file.
 */
import { basename } from 'node:path'
import { NIH_FINDINGS } from '../../shared/findings'
import { clip, CsvError, parseCsv } from '../cases/csv'
import { readRegularFileSync } from '../cases/regularFile'

export interface ExternalPredictions {
  file: string
  /** findings with a prob_ column, in NIH order */
  findings: string[]
  /** image → finding → probability */
  byImage: Map<string, Map<string, number>>
}

const MAX_PREDICTIONS_BYTES = 64 * 1024 * 1024
const PREFIX = 'prob_'

export function readExternalPredictions(path: string): ExternalPredictions {
  const file = basename(path)
  let text: string
  try {
    text = readRegularFileSync(path, { maxBytes: MAX_PREDICTIONS_BYTES, allowEmpty: true }).toString('utf8')
  } catch (error) {
    throw new Error(`Cannot read ${path}: ${(error as { reason?: string }).reason ?? (error as Error).message}`)
  }
  const records = parseCsv(text, file)
  if (records.length === 0) throw new CsvError(file, 1, 'is empty; expected a header "Image Index,prob_<Finding>,…"')
  const header = records[0].fields.map((f) => f.trim())
  const imageColumn = header.findIndex((h) => h.toLowerCase() === 'image index')
  if (imageColumn < 0)
    throw new CsvError(file, records[0].line, `has no "Image Index" column (found: ${clip(header.slice(0, 20).join(', '), 300)})`)
  const columns = new Map<string, number>()
  header.forEach((name, i) => {
    if (i === imageColumn) return
    if (!name.startsWith(PREFIX))
      throw new CsvError(file, records[0].line, `column ${clip(JSON.stringify(name), 60)} is neither "Image Index" nor prob_<Finding>`)
    const finding = name.slice(PREFIX.length)
    if (!(NIH_FINDINGS as readonly string[]).includes(finding))
      throw new CsvError(
        file,
        records[0].line,
        `column ${clip(JSON.stringify(name), 60)} names no NIH finding (NIH spelling: ${NIH_FINDINGS.join(', ')})`,
      )
    if (columns.has(finding)) throw new CsvError(file, records[0].line, `column prob_${finding} appears twice`)
    columns.set(finding, i)
  })
  if (columns.size === 0) throw new CsvError(file, records[0].line, 'has no prob_<Finding> column')
  const byImage = new Map<string, Map<string, number>>()
  for (const record of records.slice(1)) {
    if (record.fields.length !== header.length)
      throw new CsvError(file, record.line, `has ${record.fields.length} fields; the header has ${header.length}`)
    const image = record.fields[imageColumn].trim()
    if (!image || image.length > 255 || /[/\\\0]/.test(image))
      throw new CsvError(file, record.line, `Image Index ${clip(JSON.stringify(image))} is not a file name`)
    if (byImage.has(image)) throw new CsvError(file, record.line, `image ${clip(image)} appears twice`)
    const probabilities = new Map<string, number>()
    for (const [finding, i] of columns) {
      const raw = record.fields[i].trim()
      const value = raw === '' ? NaN : Number(raw)
      if (!Number.isFinite(value) || value < 0 || value > 1)
        throw new CsvError(file, record.line, `prob_${finding} is ${clip(JSON.stringify(raw), 40)}; expected a probability from 0 to 1`)
      probabilities.set(finding, value)
    }
    byImage.set(image, probabilities)
  }
  if (byImage.size === 0) throw new CsvError(file, records[0].line, 'has a header but no prediction rows')
  return { file, findings: NIH_FINDINGS.filter((f) => columns.has(f)), byImage }
}
