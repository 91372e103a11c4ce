import { columnIndex, readCsvFile } from '../cases/csv'

export type SplitPart = 'train' | 'val' | 'test'
const PARTS: readonly string[] = ['train', 'val', 'test']

/**
 * A fixed split for fine-tuning (as training/reference/split.csv: columns image, split): image name →
 * train, val or test. Fitting uses train, choosing (early stopping, λ, thresholds) val, and test is only
 * reported. A row naming another part, or an image twice, is refused with its line.
 */
export function readSplitFile(path: string): Map<string, SplitPart> {
  const { file, records } = readCsvFile(path, 'split file')
  const col = columnIndex(records[0], file, ['image', 'split'])
  const out = new Map<string, SplitPart>()
  for (const r of records.slice(1)) {
    const image = r.fields[col.get('image')!]?.trim() ?? ''
    const part = r.fields[col.get('split')!]?.trim() ?? ''
    if (!image) throw new Error(`${file} line ${r.line}: no image name`)
    if (!PARTS.includes(part)) throw new Error(`${file} line ${r.line}: split is train, val or test, not "${part.slice(0, 40)}"`)
    if (out.has(image)) throw new Error(`${file} line ${r.line}: ${image.slice(0, 80)} is listed twice`)
    out.set(image, part as SplitPart)
  }
  return out
}
