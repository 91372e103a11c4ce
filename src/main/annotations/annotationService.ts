import type { Box, BoxDraft, CaseStatus, HeatmapData, Reader } from '../../shared/domain'
import { clipBoxToPixel } from '../../shared/boxClip'
import { isKnownFinding } from '../../shared/findings'
import { ForbiddenError, NotFoundError } from '../errors/domainErrors'
import type { CaseStore } from '../store/caseStore'

/**
 * Everything a reader changes, each change one transaction with its audit entry (who, what, before
 * and after), so an autosave either lands whole or not at all and the history can be replayed.
 */
export class AnnotationService {
  constructor(private readonly store: CaseStore) {}

  private reader(readerId: number): Reader {
    const reader = this.store.readers.get(readerId)
    if (!reader) throw new NotFoundError(`Reader ${readerId}`)
    return reader
  }

  private caseOf(caseId: number) {
    const record = this.store.cases.get(caseId)
    if (!record) throw new NotFoundError(`Case ${caseId}`)
    return record
  }

  /** Keeps a box inside its image and at least one pixel wide; refuses unknown findings. */
  private clean(draft: BoxDraft, width: number, height: number): BoxDraft {
    if (!isKnownFinding(draft.finding)) throw new Error(`Unknown finding "${draft.finding}"`)
    return { finding: draft.finding, ...clipBoxToPixel(draft, width, height) }
  }

  private ownBox(boxId: number, readerId: number) {
    const box = this.store.annotations.box(boxId)
    if (!box) throw new NotFoundError(`Box ${boxId}`)
    if (box.source === 'dataset' || box.readerId !== readerId) {
      throw new ForbiddenError(`Box ${boxId} belongs to ${box.author}; readers change only their own boxes`)
    }
    return box
  }

  private audit(reader: Reader, action: string, caseId: number, detail: Record<string, unknown>, at: string): void {
    this.store.audit.append(reader.name, action, caseId, detail, at, reader.id)
  }

  createBox(caseId: number, readerId: number, draft: BoxDraft): Box {
    return this.store.transaction(() => {
      const reader = this.reader(readerId)
      const record = this.caseOf(caseId)
      const box = this.clean(draft, record.width, record.height)
      const at = new Date().toISOString()
      const id = this.store.annotations.addBox({ caseId, ...box, source: 'reader', author: reader.name, readerId, at })!
      if (record.status === 'new') this.store.cases.setStatus(caseId, 'in_review')
      this.audit(reader, 'box.create', caseId, { boxId: id, after: box }, at)
      return this.store.annotations.box(id)!
    })
  }

  updateBox(boxId: number, readerId: number, draft: BoxDraft): Box {
    return this.store.transaction(() => {
      const reader = this.reader(readerId)
      const before = this.ownBox(boxId, readerId)
      if (before.deletedAt) throw new ForbiddenError(`Box ${boxId} is deleted; restore it first`)
      const record = this.caseOf(before.caseId)
      const box = this.clean(draft, record.width, record.height)
      const at = new Date().toISOString()
      this.store.annotations.updateBox(boxId, box, at)
      this.audit(reader, 'box.update', before.caseId, { boxId, before: pick(before), after: box }, at)
      return this.store.annotations.box(boxId)!
    })
  }

  deleteBox(boxId: number, readerId: number): void {
    this.store.transaction(() => {
      const reader = this.reader(readerId)
      const box = this.ownBox(boxId, readerId)
      const at = new Date().toISOString()
      this.store.annotations.setDeleted(boxId, at, at)
      this.audit(reader, 'box.delete', box.caseId, { boxId, before: pick(box) }, at)
    })
  }

  /** Undo of a delete: the same box comes back (same id), so later edits keep referring to it. */
  restoreBox(boxId: number, readerId: number): Box {
    return this.store.transaction(() => {
      const reader = this.reader(readerId)
      const box = this.ownBox(boxId, readerId)
      const at = new Date().toISOString()
      this.store.annotations.setDeleted(boxId, null, at)
      this.audit(reader, 'box.restore', box.caseId, { boxId }, at)
      return this.store.annotations.box(boxId)!
    })
  }

  setStatus(caseId: number, readerId: number, status: CaseStatus): void {
    this.store.transaction(() => {
      const reader = this.reader(readerId)
      const record = this.caseOf(caseId)
      const at = new Date().toISOString()
      this.store.cases.setStatus(caseId, status)
      this.audit(reader, 'case.status', caseId, { before: record.status, after: status }, at)
    })
  }

  /**
   * A corrected heatmap is a new version linked to the one it was edited from; nothing is overwritten.
   * Correcting the model's evidence is the clinical advisor's task: refused here for anyone else,
   * whatever the caller's UI allowed.
   */
  saveHeatmapEdit(baseId: number, readerId: number, values: number[]): HeatmapData {
    return this.store.transaction(() => {
      const reader = this.reader(readerId)
      if (reader.role !== 'clinical_advisor') {
        throw new ForbiddenError(`Heatmap edits are made by a clinical advisor; ${reader.name} is a ${reader.role.replace('_', ' ')}`)
      }
      const base = this.store.results.heatmapById(baseId)
      if (!base) throw new NotFoundError(`Heatmap ${baseId}`)
      if (values.length !== base.width * base.height)
        throw new Error(`an edit of a ${base.width}×${base.height} heatmap needs ${base.width * base.height} values, got ${values.length}`)
      if (values.some((v) => !Number.isFinite(v))) throw new Error('heatmap values must be finite numbers')
      const at = new Date().toISOString()
      const id = this.store.results.putHeatmap(
        {
          caseId: base.caseId,
          modelId: base.modelId,
          modelVersion: base.modelVersion,
          finding: base.finding,
          method: base.method,
          params: { ...base.params, editedBy: reader.name },
          width: base.width,
          height: base.height,
          data: Float32Array.from(values),
          editedFrom: baseId,
          author: reader.name,
          readerId,
        },
        at,
      )
      this.audit(reader, 'heatmap.edit', base.caseId, { heatmapId: id, editedFrom: baseId, finding: base.finding, method: base.method }, at)
      const saved = this.store.results.heatmapById(id)!
      return {
        id,
        caseId: saved.caseId,
        modelId: saved.modelId,
        modelVersion: saved.modelVersion,
        finding: saved.finding,
        method: saved.method,
        width: saved.width,
        height: saved.height,
        values: Array.from(saved.data),
        params: saved.params,
        editedFrom: saved.editedFrom,
        author: saved.author,
        createdAt: saved.createdAt,
      }
    })
  }
}

function pick(box: Box): BoxDraft {
  return { finding: box.finding, x: box.x, y: box.y, w: box.w, h: box.h }
}
