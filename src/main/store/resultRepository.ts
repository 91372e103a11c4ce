import type { OodMark } from '../../shared/domain'
import type { Db } from './database'

/** One stored out-of-distribution verdict of a model version on a case. */
export interface StoredOod {
  method: 'mahalanobis' | 'energy'
  score: number | null
  threshold: number
  flagged: boolean
}

export interface StoredHeatmap {
  id: number
  caseId: number
  modelId: string
  modelVersion: string
  finding: string
  method: string
  params: Record<string, unknown>
  width: number
  height: number
  data: Float32Array
  editedFrom: number | null
  author: string | null
  createdAt: string
}

/** A heatmap before the store gives it an id and time; edits name their base and reader. */
export type NewHeatmap = Omit<StoredHeatmap, 'id' | 'createdAt' | 'editedFrom' | 'author'> & {
  editedFrom?: number | null
  author?: string | null
  readerId?: number | null
}

interface HeatmapRow extends Omit<StoredHeatmap, 'params' | 'data'> {
  params: string
  data: Uint8Array
}

/** Model outputs per case: probabilities for every finding, and heatmaps stored compactly (low-res float32). */
export class ResultRepository {
  private readonly putPrediction
  private readonly predictionsOf
  private readonly insertHeatmap
  private readonly latestHeatmap
  private readonly byId
  private readonly latestPerCase
  private readonly chain
  private readonly table
  private readonly putOodStmt
  private readonly oodOf
  private readonly oodTable

  constructor(db: Db) {
    this.putOodStmt =
      db.prepare(`INSERT INTO prediction_ood (case_id, model_id, model_version, method, score, threshold, flagged, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, model_id, model_version) DO UPDATE SET method = excluded.method,
      score = excluded.score, threshold = excluded.threshold, flagged = excluded.flagged, created_at = excluded.created_at`)
    this.oodOf = db.prepare(
      `SELECT method, score, threshold, flagged FROM prediction_ood WHERE case_id = ? AND model_id = ? AND model_version = ?`,
    )
    this.oodTable = db.prepare(`SELECT case_id AS caseId, flagged FROM prediction_ood WHERE model_id = ? AND model_version = ?`)
    this.putPrediction = db.prepare(`INSERT INTO predictions (case_id, model_id, model_version, finding, probability, created_at)
      VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, model_id, model_version, finding)
      DO UPDATE SET probability = excluded.probability, created_at = excluded.created_at`)
    this.predictionsOf = db.prepare(`SELECT finding, probability FROM predictions
      WHERE case_id = ? AND model_id = ? AND model_version = ? ORDER BY probability DESC`)
    this.insertHeatmap = db.prepare(`INSERT INTO heatmaps (case_id, model_id, model_version, finding, method, params, width, height,
      dtype, data, edited_from, author, reader_id, created_at) VALUES (@caseId, @modelId, @modelVersion, @finding, @method, @params, @width,
      @height, 'float32', @data, @editedFrom, @author, @readerId, @createdAt)`)
    const columns = `id, case_id AS caseId, model_id AS modelId, model_version AS modelVersion, finding, method, params, width, height,
      data, edited_from AS editedFrom, author, created_at AS createdAt`
    // Model maps only (edited_from IS NULL): edits are versions of their own, fetched by id.
    this.latestHeatmap = db.prepare(`SELECT ${columns} FROM heatmaps WHERE case_id = ? AND model_id = ? AND model_version = ?
      AND finding = ? AND method = ? AND edited_from IS NULL ORDER BY id DESC LIMIT 1`)
    this.byId = db.prepare(`SELECT ${columns} FROM heatmaps WHERE id = ?`)
    // Every stored prediction of a model version with whether the case carries that finding as a label.
    this.table = db.prepare(`SELECT r.case_id AS caseId, r.finding, r.probability,
      EXISTS (SELECT 1 FROM labels l WHERE l.case_id = r.case_id AND l.finding = r.finding) AS positive
      FROM predictions r WHERE r.model_id = ? AND r.model_version = ?`)
    // A model map and every edit made from it or from its edits, oldest first.
    this.chain =
      db.prepare(`WITH RECURSIVE versions(id) AS (SELECT ? UNION SELECT h.id FROM heatmaps h JOIN versions v ON h.edited_from = v.id)
      SELECT h.id, h.edited_from AS editedFrom, h.author, h.created_at AS createdAt FROM heatmaps h JOIN versions v ON v.id = h.id ORDER BY h.id`)
    // The newest model map per case and finding for one model version and method.
    this.latestPerCase = db.prepare(`SELECT ${columns} FROM heatmaps h WHERE model_id = ? AND model_version = ? AND method = ?
      AND edited_from IS NULL AND id = (SELECT max(id) FROM heatmaps g WHERE g.case_id = h.case_id AND g.finding = h.finding
        AND g.model_id = h.model_id AND g.model_version = h.model_version AND g.method = h.method AND g.edited_from IS NULL)`)
  }

  putPredictions(
    caseId: number,
    modelId: string,
    version: string,
    probabilities: Record<string, number>,
    at = new Date().toISOString(),
  ): void {
    for (const [finding, p] of Object.entries(probabilities)) this.putPrediction.run(caseId, modelId, version, finding, p, at)
  }

  /** Stored beside the probabilities, in the same transaction (the analysis service calls both). */
  putOod(caseId: number, modelId: string, version: string, ood: StoredOod, at = new Date().toISOString()): void {
    const score = ood.score !== null && Number.isFinite(ood.score) ? ood.score : null
    this.putOodStmt.run(caseId, modelId, version, ood.method, score, ood.threshold, ood.flagged || score === null ? 1 : 0, at)
  }

  ood(caseId: number, modelId: string, version: string): StoredOod | undefined {
    const row = this.oodOf.get(caseId, modelId, version) as (Omit<StoredOod, 'flagged'> & { flagged: number }) | undefined
    return row && { ...row, flagged: row.flagged === 1 }
  }

  /** Case ids a model version flagged or passed (evaluation counts them). */
  oodFlags(modelId: string, version: string): Map<number, boolean> {
    const rows = this.oodTable.all(modelId, version) as Array<{ caseId: number; flagged: number }>
    return new Map(rows.map((r) => [r.caseId, r.flagged === 1]))
  }

  predictions(caseId: number, modelId: string, version: string): Array<{ finding: string; probability: number }> {
    return this.predictionsOf.all(caseId, modelId, version) as Array<{ finding: string; probability: number }>
  }

  putHeatmap(map: NewHeatmap, at = new Date().toISOString()): number {
    if (map.data.length !== map.width * map.height)
      throw new Error(`heatmap data has ${map.data.length} values for ${map.width}×${map.height}`)
    const bytes = new Uint8Array(map.data.buffer, map.data.byteOffset, map.data.byteLength)
    return Number(
      this.insertHeatmap.run({
        ...map,
        params: JSON.stringify(map.params),
        data: bytes,
        editedFrom: map.editedFrom ?? null,
        author: map.author ?? null,
        readerId: map.readerId ?? null,
        createdAt: at,
      }).lastInsertRowid,
    )
  }

  heatmap(caseId: number, modelId: string, version: string, finding: string, method: string): StoredHeatmap | undefined {
    return decode(this.latestHeatmap.get(caseId, modelId, version, finding, method) as HeatmapRow | undefined)
  }

  /** Streams the newest map per case and finding, so a global summary over many cases stays small in memory. */
  *latestHeatmaps(modelId: string, version: string, method: string): Generator<StoredHeatmap> {
    for (const row of this.latestPerCase.iterate(modelId, version, method)) yield decode(row as HeatmapRow)!
  }

  predictionTable(modelId: string, version: string): Array<{ caseId: number; finding: string; probability: number; positive: number }> {
    return this.table.all(modelId, version) as Array<{ caseId: number; finding: string; probability: number; positive: number }>
  }

  versions(rootId: number): Array<{ id: number; editedFrom: number | null; author: string | null; createdAt: string }> {
    return this.chain.all(rootId) as Array<{ id: number; editedFrom: number | null; author: string | null; createdAt: string }>
  }

  heatmapById(id: number): StoredHeatmap | undefined {
    return decode(this.byId.get(id) as HeatmapRow | undefined)
  }
}

/** A case's mark for the worklist and case view: the model's stored verdict and the header's flag. */
export function oodMark(stored: StoredOod | undefined, acquisition: string | null): OodMark | null {
  if (!stored && !acquisition) return null
  return {
    method: stored?.method ?? null,
    score: stored?.score ?? null,
    threshold: stored?.threshold ?? null,
    flagged: Boolean(stored?.flagged) || acquisition !== null,
    acquisition,
  }
}

function decode(row: HeatmapRow | undefined): StoredHeatmap | undefined {
  if (!row) return undefined
  // Copy: the BLOB's buffer may be unaligned for a Float32Array view.
  const data = new Float32Array(row.data.byteLength / 4)
  new Uint8Array(data.buffer).set(row.data)
  return { ...row, params: JSON.parse(row.params) as Record<string, unknown>, data }
}
