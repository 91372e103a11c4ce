import { readdirSync, readFileSync } from 'node:fs'
import { basename, extname, join, resolve } from 'node:path'
import { parseCsv, columnIndex } from '../cases/csv'
import { IMPORTABLE_EXTENSIONS } from '../cases/imageIntake'
import { NIH_BOX_SPACE } from '../cases/nihBoxes'
import { readNihBoxes, readNihLabels } from '../cases/nihCsv'
import type { Rect } from '../../shared/localization'
import { patientOf } from './bootstrap'

export interface EvaluationCase {
  image: string
  path: string
  /** the bootstrap's unit: NIH Patient ID, else the image name's prefix */
  patient: string
  findings: Set<string>
  /** radiologist boxes per finding, as fractions of the image (NIH boxes are in 1024² space) */
  boxes: Map<string, Rect[]>
}

export interface EvaluationSet {
  cases: EvaluationCase[]
  /** label rows with no image in the folder (or outside the chosen split) */
  skipped: number
}

/** `image → split` from a split CSV with columns image, split (as training/reference/split.csv). */
export function readSplit(path: string): Map<string, string> {
  const file = basename(path)
  const records = parseCsv(readFileSync(resolve(path), 'utf8'), file)
  const col = columnIndex(records[0], file, ['image', 'split'])
  return new Map(records.slice(1).map((r) => [r.fields[col.get('image')!].trim(), r.fields[col.get('split')!].trim()]))
}

/**
 * The labelled images of a folder (optionally one split of a split file) with their boxes. The
 * same NIH readers as the importer, so evaluation and the workstation agree on every label.
 */
export function loadEvaluationSet(
  imagesDir: string,
  labelsCsv: string,
  boxesCsv?: string,
  split?: { file: string; name: string },
): EvaluationSet {
  const dir = resolve(imagesDir)
  const present = new Set(readdirSync(dir).filter((n) => IMPORTABLE_EXTENSIONS.includes(extname(n).toLowerCase())))
  const splitOf = split ? readSplit(split.file) : null
  const labels = readNihLabels(resolve(labelsCsv)).rows
  const cases = new Map<string, EvaluationCase>()
  let skipped = 0
  for (const row of labels) {
    if (!present.has(row.image) || (splitOf && splitOf.get(row.image) !== split!.name)) {
      skipped++
      continue
    }
    cases.set(row.image, {
      image: row.image,
      path: join(dir, row.image),
      patient: patientOf(row.image, row.patientId),
      findings: new Set(row.findings),
      boxes: new Map(),
    })
  }
  if (boxesCsv) {
    for (const box of readNihBoxes(resolve(boxesCsv)).rows) {
      const c = cases.get(box.image)
      if (!c) continue
      const list = c.boxes.get(box.finding) ?? []
      list.push({ x: box.x / NIH_BOX_SPACE, y: box.y / NIH_BOX_SPACE, w: box.w / NIH_BOX_SPACE, h: box.h / NIH_BOX_SPACE })
      c.boxes.set(box.finding, list)
    }
  }
  if (cases.size === 0) throw new Error(`No labelled image of ${labelsCsv} is in ${dir}${split ? ` (split ${split.name})` : ''}`)
  return { cases: [...cases.values()].sort((a, b) => a.image.localeCompare(b.image)), skipped }
}
