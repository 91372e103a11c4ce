import { columnIndex, readCsvFile } from '../cases/csv'

/**
 * A teacher's probabilities for distillation (`--distill FILE`): a CSV with an image column (`Image
 * Index` as in the NIH lists, or `image`) and one `prob_<Finding>` column per finding of the model
 * (NIH spelling, e.g. `prob_Pleural_Thickening`), as `chexnet_dev_preds.csv`. Returns image name →
 * probabilities in the model's finding order. A missing column, a value outside 0…1 or an image
 * listed twice is refused with the file and line.
 */
export function readTeacherFile(path: string, findings: readonly string[]): Map<string, Float32Array> {
  const { file, records } = readCsvFile(path, 'distillation file')
  const header = records[0].fields.map((f) => f.trim().toLowerCase())
  const imageColumn = header.includes('image index') ? 'Image Index' : 'image'
  const col = columnIndex(records[0], file, [imageColumn, ...findings.map((f) => `prob_${f}`)])
  const out = new Map<string, Float32Array>()
  for (const r of records.slice(1)) {
    const image = r.fields[col.get(imageColumn)!]?.trim() ?? ''
    if (!image) throw new Error(`${file} line ${r.line}: no image name`)
    if (out.has(image)) throw new Error(`${file} line ${r.line}: ${image.slice(0, 80)} is listed twice`)
    const q = new Float32Array(findings.length)
    findings.forEach((finding, c) => {
      const raw = r.fields[col.get(`prob_${finding}`)!]?.trim() ?? ''
      const v = raw === '' ? NaN : Number(raw)
      if (!(v >= 0 && v <= 1)) throw new Error(`${file} line ${r.line}: prob_${finding} is a probability in 0…1, not "${raw.slice(0, 40)}"`)
      q[c] = v
    })
    out.set(image, q)
  }
  return out
}
