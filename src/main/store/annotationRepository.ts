import type { AnnotationSource, Box, Label } from '../../shared/domain'
import type { Db } from './database'

/** A box before the store gives it an id; `at` stamps both created and updated. */
export type NewBox = Omit<Box, 'id' | 'createdAt' | 'updatedAt'> & { at: string }

/** Ground-truth labels and radiologist boxes of a case. */
export class AnnotationRepository {
  private readonly insertLabel
  private readonly labelsOf
  private readonly insertBox
  private readonly boxesOf

  constructor(db: Db) {
    this.insertLabel = db.prepare(
      'INSERT INTO labels (case_id, finding, source, author, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    )
    this.labelsOf = db.prepare('SELECT finding, source, author FROM labels WHERE case_id = ? ORDER BY finding, source, author')
    // ON CONFLICT DO NOTHING (not OR IGNORE, which would also swallow CHECK failures) plus the partial
    // unique index on dataset boxes make box re-imports idempotent.
    this.insertBox = db.prepare(`INSERT INTO boxes (case_id, finding, x, y, w, h, source, author, created_at, updated_at)
      VALUES (@caseId, @finding, @x, @y, @w, @h, @source, @author, @at, @at) ON CONFLICT DO NOTHING`)
    this.boxesOf = db.prepare(`SELECT id, case_id AS caseId, finding, x, y, w, h, source, author,
      created_at AS createdAt, updated_at AS updatedAt FROM boxes WHERE case_id = ? AND deleted_at IS NULL ORDER BY id`)
  }

  /** Returns true when the label was new. */
  addLabel(caseId: number, finding: string, source: AnnotationSource, author: string, at: string): boolean {
    return this.insertLabel.run(caseId, finding, source, author, at).changes > 0
  }

  labels(caseId: number): Label[] {
    return this.labelsOf.all(caseId) as Label[]
  }

  /** Returns true when the box was new. */
  addBox(box: NewBox): boolean {
    return this.insertBox.run(box).changes > 0
  }

  boxes(caseId: number): Box[] {
    return this.boxesOf.all(caseId) as Box[]
  }
}
