import type { AnnotationSource, Box, Label } from '../../shared/domain'
import type { Db } from './database'

/** A box before the store gives it an id; `at` stamps both created and updated. */
export type NewBox = Omit<Box, 'id' | 'createdAt' | 'updatedAt' | 'readerId'> & { at: string; readerId?: number | null }

/** Ground-truth labels and radiologist boxes of a case. */
export class AnnotationRepository {
  private readonly insertLabel
  private readonly labelsOf
  private readonly insertBox
  private readonly boxesOf
  private readonly boxById
  private readonly moveBox
  private readonly deleteBox
  private readonly multiAuthor

  constructor(db: Db) {
    this.insertLabel = db.prepare(
      'INSERT INTO labels (case_id, finding, source, author, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    )
    this.labelsOf = db.prepare('SELECT finding, source, author FROM labels WHERE case_id = ? ORDER BY finding, source, author')
    // ON CONFLICT DO NOTHING (not OR IGNORE, which would also swallow CHECK failures) plus the partial
    // unique index on dataset boxes make box re-imports idempotent.
    this.insertBox = db.prepare(`INSERT INTO boxes (case_id, finding, x, y, w, h, source, author, reader_id, created_at, updated_at)
      VALUES (@caseId, @finding, @x, @y, @w, @h, @source, @author, @readerId, @at, @at) ON CONFLICT DO NOTHING`)
    const columns = `id, case_id AS caseId, finding, x, y, w, h, source, author, reader_id AS readerId,
      created_at AS createdAt, updated_at AS updatedAt`
    this.boxesOf = db.prepare(`SELECT ${columns} FROM boxes WHERE case_id = ? AND deleted_at IS NULL ORDER BY id`)
    this.boxById = db.prepare(`SELECT ${columns}, deleted_at AS deletedAt FROM boxes WHERE id = ?`)
    this.moveBox = db.prepare('UPDATE boxes SET finding = @finding, x = @x, y = @y, w = @w, h = @h, updated_at = @at WHERE id = @id')
    this.multiAuthor = db.prepare(`SELECT DISTINCT case_id FROM boxes WHERE deleted_at IS NULL GROUP BY case_id, finding
      HAVING count(DISTINCT COALESCE('reader:' || reader_id, 'dataset:' || author)) > 1`)
    this.deleteBox = db.prepare('UPDATE boxes SET deleted_at = @deletedAt, updated_at = @at WHERE id = @id')
  }

  /** Returns true when the label was new. */
  addLabel(caseId: number, finding: string, source: AnnotationSource, author: string, at: string): boolean {
    return this.insertLabel.run(caseId, finding, source, author, at).changes > 0
  }

  labels(caseId: number): Label[] {
    return this.labelsOf.all(caseId) as Label[]
  }

  /** Returns the new box's id, or null when the same dataset box was already there. */
  addBox(box: NewBox): number | null {
    const result = this.insertBox.run({ readerId: null, ...box })
    return result.changes > 0 ? Number(result.lastInsertRowid) : null
  }

  /** Cases where at least two authors (readers or the dataset) boxed the same finding. */
  casesWithSeveralAuthors(): number[] {
    return this.multiAuthor.pluck().all() as number[]
  }

  box(id: number): (Box & { deletedAt: string | null }) | undefined {
    return this.boxById.get(id) as (Box & { deletedAt: string | null }) | undefined
  }

  updateBox(id: number, box: { finding: string; x: number; y: number; w: number; h: number }, at: string): void {
    this.moveBox.run({ id, ...box, at })
  }

  /** Soft delete (deletedAt) or restore (null): boxes are never removed, so undo and audits can see them. */
  setDeleted(id: number, deletedAt: string | null, at: string): void {
    this.deleteBox.run({ id, deletedAt, at })
  }

  boxes(caseId: number): Box[] {
    return this.boxesOf.all(caseId) as Box[]
  }
}
