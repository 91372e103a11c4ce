import type { Reader } from '../../shared/domain'
import type { CaseStore } from '../store/caseStore'
import type { NihBoxRow } from './nihCsv'

/** NIH box coordinates are pixels of the released 1024×1024 PNGs. */
export const NIH_BOX_SPACE = 1024

/** Maps an NIH box into the pixel space of the image actually stored (e.g. ÷4 for 256² downscales). */
export function scaleNihBox(box: Pick<NihBoxRow, 'x' | 'y' | 'w' | 'h'>, width: number, height: number) {
  const sx = width / NIH_BOX_SPACE
  const sy = height / NIH_BOX_SPACE
  return { x: box.x * sx, y: box.y * sy, w: box.w * sx, h: box.h * sy }
}

export type Attribution = { reader: Reader | null } | { refused: string }

/**
 * Who a box list row's Author names: the dataset (no Author column, or the dataset's own name), or a
 * reader of this data folder by name (names are unique, case-insensitive, as at login). An unknown
 * name is refused, not created: a reader is an account with a role and a secret, which only an
 * administrator makes (`cxr-lens readers add`), so a CSV cannot invent one.
 */
export function boxAttribution(store: CaseStore, datasetAuthor: string): (author: string | undefined) => Attribution {
  const byName = new Map(store.readers.list().map((r) => [r.name.toLowerCase(), r]))
  return (author) => {
    if (author === undefined || author === datasetAuthor) return { reader: null }
    const reader = byName.get(author.toLowerCase())
    if (!reader)
      return {
        refused: `Author "${author.slice(0, 60)}" is not a reader of this data folder; add them first (cxr-lens readers add --name NAME --role radiologist)`,
      }
    return { reader }
  }
}

/** Reader boxes have no unique index (a reader may draw two alike): a re-import finds its own by value. */
export function hasReaderBox(
  store: CaseStore,
  caseId: number,
  readerId: number,
  finding: string,
  box: { x: number; y: number; w: number; h: number },
): boolean {
  const near = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b))
  return store.annotations
    .boxes(caseId)
    .some(
      (b) =>
        b.readerId === readerId && b.finding === finding && near(b.x, box.x) && near(b.y, box.y) && near(b.w, box.w) && near(b.h, box.h),
    )
}
