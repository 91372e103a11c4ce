import type { CaseStatus, FindingCount, WorklistPage, WorklistQuery, WorklistRow } from '../../shared/domain'
import type { Db } from './database'
import { oodMark, type StoredOod } from './resultRepository'

/** Sort keys map to fixed SQL; user input never reaches the ORDER BY text. */
const SORT_SQL: Record<NonNullable<WorklistQuery['sort']>, string> = {
  image: 'c.image_name',
  imported: 'c.imported_at',
  age: 'c.age',
  status: 'c.status',
  boxes: 'c.box_count',
}

export const DEFAULT_PAGE_SIZE = 100

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`)
}

interface RawRow extends Omit<WorklistRow, 'findings' | 'topFindings' | 'ood'> {
  findings: string | null
  topFindings: string | null
  acquisitionFlag: string | null
  ood: string | null
}

/** Which model's predictions the rows show (the default model), if any. */
export interface WorklistContext {
  model?: { id: string; version: string }
}

export class WorklistRepository {
  private readonly findingCountsStmt
  private readonly rowsStmt
  private readonly findingBits: Map<string, number>

  constructor(private readonly db: Db) {
    this.findingBits = new Map(db.prepare('SELECT finding, bit FROM finding_bits').raw().all() as Array<[string, number]>)
    this.rowsStmt = db.prepare(`SELECT c.id, c.image_name AS image, p.pseudo_id AS patient, c.age, c.sex, c.view, c.status,
        c.width, c.height, c.box_count AS boxes,
        (SELECT count(*) FROM boxes b WHERE b.case_id = c.id AND b.deleted_at IS NULL AND b.reader_id = @readerId) AS myBoxes,
        (SELECT group_concat(finding, '|') FROM (SELECT DISTINCT finding FROM labels l WHERE l.case_id = c.id ORDER BY finding)) AS findings,
        (SELECT json_group_array(json_object('finding', finding, 'probability', probability)) FROM (SELECT finding, probability
          FROM predictions r WHERE r.case_id = c.id AND r.model_id = @modelId AND r.model_version = @modelVersion
          ORDER BY probability DESC LIMIT 3)) AS topFindings,
        c.acquisition_flag AS acquisitionFlag,
        (SELECT json_object('method', method, 'score', score, 'threshold', threshold, 'flagged', flagged) FROM prediction_ood o
          WHERE o.case_id = c.id AND o.model_id = @modelId AND o.model_version = @modelVersion) AS ood
      FROM cases c LEFT JOIN patients p ON p.id = c.patient_id WHERE c.id IN (SELECT value FROM json_each(@ids))`)
    this.findingCountsStmt = db.prepare(
      'SELECT finding, count(DISTINCT case_id) AS cases FROM labels GROUP BY finding ORDER BY cases DESC, finding',
    )
  }

  /** The WHERE clause and its parameters for a query's filters (fixed SQL, bound values). */
  private filterSql(query: WorklistQuery): { whereSql: string; params: Record<string, unknown> } {
    const where: string[] = []
    const params: Record<string, unknown> = {}
    if (query.finding) {
      const bit = this.findingBits.get(query.finding)
      if (bit !== undefined) {
        where.push('(c.finding_mask & @findingMask) != 0')
        params.findingMask = 2 ** bit
      } else {
        where.push('c.id IN (SELECT case_id FROM labels WHERE finding = @finding)')
        params.finding = query.finding
      }
    }
    if (query.hasBoxes !== undefined) {
      where.push(query.hasBoxes ? 'c.box_count > 0' : 'c.box_count = 0')
    }
    if (query.status) {
      where.push('c.status = @status')
      params.status = query.status satisfies CaseStatus
    }
    const search = query.search?.trim()
    if (search) {
      where.push("c.image_name LIKE @search ESCAPE '\\'")
      params.search = `%${escapeLike(search)}%`
    }
    return { whereSql: where.length ? `WHERE ${where.join(' AND ')}` : '', params }
  }

  /** Ids of every case the filters match (paging ignored), in id order: "Analyse filtered cases". */
  matchingIds(query: WorklistQuery): number[] {
    const { whereSql, params } = this.filterSql(query)
    return this.db.prepare(`SELECT c.id FROM cases c ${whereSql} ORDER BY c.id`).pluck().all(params) as number[]
  }

  query(query: WorklistQuery, context: WorklistContext = {}): WorklistPage {
    const { whereSql, params } = this.filterSql(query)
    const direction = query.order === 'desc' ? 'DESC' : 'ASC'
    // Every sort index ends in (image_name, rowid), so this tie-break lets SQLite walk an index
    // instead of sorting 100k rows.
    const sort = query.sort ?? 'image'
    const orderSql =
      sort === 'image'
        ? `c.image_name ${direction}, c.id ${direction}`
        : `${SORT_SQL[sort]} ${direction}, c.image_name ${direction}, c.id ${direction}`
    const limit = query.limit ?? DEFAULT_PAGE_SIZE
    const offset = query.offset ?? 0

    const total = (this.db.prepare(`SELECT count(*) AS n FROM cases c ${whereSql}`).get(params) as { n: number }).n
    // Two steps: page bare ids (OFFSET then skips index entries, not built rows), then build only
    // the rows shown.
    const ids = this.db
      .prepare(`SELECT c.id FROM cases c ${whereSql} ORDER BY ${orderSql} LIMIT @limit OFFSET @offset`)
      .pluck()
      .all({ ...params, limit, offset }) as number[]
    const byId = new Map(
      (
        this.rowsStmt.all({
          ids: JSON.stringify(ids),
          readerId: query.readerId ?? null,
          modelId: context.model?.id ?? null,
          modelVersion: context.model?.version ?? null,
        }) as RawRow[]
      ).map((row) => [row.id, row]),
    )
    const raw = ids.map((id) => byId.get(id)!).filter(Boolean)
    const rows = raw.map(({ acquisitionFlag, ood, ...row }) => {
      const stored = ood ? (JSON.parse(ood) as Omit<StoredOod, 'flagged'> & { flagged: number }) : undefined
      return {
        ...row,
        findings: row.findings ? row.findings.split('|') : [],
        otherBoxes: row.boxes - row.myBoxes,
        topFindings: row.topFindings ? (JSON.parse(row.topFindings) as WorklistRow['topFindings']) : [],
        ood: oodMark(stored && { ...stored, flagged: stored.flagged === 1 }, acquisitionFlag),
      }
    })
    return { total, offset, rows }
  }

  findingCounts(): FindingCount[] {
    return this.findingCountsStmt.all() as FindingCount[]
  }
}
