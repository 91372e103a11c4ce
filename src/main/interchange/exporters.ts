import { NIH_FINDINGS, NO_FINDING } from '../../shared/findings'
import { NIH_BOX_SPACE } from '../cases/nihBoxes'
import type { CaseStore } from '../store/caseStore'

export interface BoxExportFilter {
  source?: 'dataset' | 'reader' | 'all'
  readerId?: number
}

export interface NihBoxExportOptions extends BoxExportFilter {
  /** adds an `Author` column (the reader's name, or the dataset's): re-importing restores who drew each box */
  withAuthor?: boolean
}

/** Every stored case, page by page (the worklist's paging keeps memory flat at 100k cases). */
export function* allCases(store: CaseStore) {
  for (let offset = 0; ; offset += 500) {
    const page = store.worklist.query({ offset, limit: 500 })
    for (const row of page.rows) yield store.cases.get(row.id)!
    if (page.rows.length === 0 || offset + page.rows.length >= page.total) return
  }
}

export function selectedBoxes(store: CaseStore, caseId: number, filter: BoxExportFilter) {
  return store.annotations
    .boxes(caseId)
    .filter(
      (b) =>
        (filter.source === undefined || filter.source === 'all' || b.source === filter.source) &&
        (filter.readerId === undefined || b.readerId === filter.readerId),
    )
}

const csv = (v: string | number) => (typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v))

/**
 * NIH BBox_List layout: boxes back in the 1024×1024 space of the released PNGs, and the finding
 * spelled as NIH's box list spells it ("Infiltrate"), so NIH tools and our importer read it as-is.
 */
export function exportBoxesNih(store: CaseStore, filter: NihBoxExportOptions = {}): string {
  const lines = [filter.withAuthor ? 'Image Index,Finding Label,x,y,w,h,Author' : 'Image Index,Finding Label,x,y,w,h']
  for (const record of allCases(store)) {
    const sx = NIH_BOX_SPACE / record.width
    const sy = NIH_BOX_SPACE / record.height
    for (const b of selectedBoxes(store, record.id, filter)) {
      const label = b.finding === 'Infiltration' ? 'Infiltrate' : b.finding
      const fields: Array<string | number> = [record.imageName, label, b.x * sx, b.y * sy, b.w * sx, b.h * sy]
      if (filter.withAuthor) fields.push(b.author)
      lines.push(fields.map(csv).join(','))
    }
  }
  return lines.join('\n') + '\n'
}

/** COCO object-detection JSON in image pixels; categories are the 14 NIH findings. */
export function exportBoxesCoco(store: CaseStore, filter: BoxExportFilter = {}): string {
  const categories = NIH_FINDINGS.map((name, i) => ({ id: i + 1, name, supercategory: 'finding' }))
  const categoryOf = new Map(categories.map((c) => [c.name as string, c.id]))
  const images: Array<Record<string, unknown>> = []
  const annotations: Array<Record<string, unknown>> = []
  for (const record of allCases(store)) {
    images.push({ id: record.id, file_name: record.imageName, width: record.width, height: record.height })
    for (const b of selectedBoxes(store, record.id, filter)) {
      annotations.push({
        id: b.id,
        image_id: record.id,
        category_id: categoryOf.get(b.finding) ?? 0,
        bbox: [b.x, b.y, b.w, b.h],
        area: b.w * b.h,
        iscrowd: 0,
        attributes: { author: b.author, source: b.source, reader_id: b.readerId ?? null, updated: b.updatedAt },
      })
    }
  }
  return JSON.stringify({
    info: { description: 'CXR Lens box export', date_created: new Date().toISOString() },
    images,
    annotations,
    categories,
  })
}

/** NIH Data_Entry_2017 layout (its header, trailing comma included); labels from every source. */
export function exportLabelsNih(store: CaseStore): string {
  const lines = [
    'Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],',
  ]
  for (const r of allCases(store)) {
    const findings = [...new Set(store.annotations.labels(r.id).map((l) => l.finding))]
    const real = findings.filter((f) => f !== NO_FINDING)
    const label = real.length ? real.join('|') : findings.length ? NO_FINDING : ''
    lines.push(
      [
        r.imageName,
        label,
        r.followUp ?? '',
        r.patientPseudoId ?? '',
        r.age ?? '',
        r.sex ?? '',
        r.view ?? '',
        r.originalWidth ?? '',
        r.originalHeight ?? '',
        r.pixelSpacingX ?? '',
        r.pixelSpacingY ?? '',
      ]
        .map(csv)
        .join(','),
    )
  }
  return lines.join('\n') + '\n'
}
