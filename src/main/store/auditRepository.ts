import type { Db } from './database'

export interface AuditEntry {
  id: number
  at: string
  actor: string
  action: string
  caseId: number | null
  detail: Record<string, unknown>
}

/** Append-only: there is deliberately no update or delete here (triggers refuse them anyway). */
export class AuditRepository {
  private readonly insert
  private readonly forCase

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO audit_log (at, actor, action, case_id, detail, reader_id) VALUES (?, ?, ?, ?, ?, ?)')
    this.forCase = db.prepare('SELECT id, at, actor, action, case_id AS caseId, detail FROM audit_log WHERE case_id IS ? ORDER BY id')
  }

  append(
    actor: string,
    action: string,
    caseId: number | null,
    detail: Record<string, unknown> = {},
    at = new Date().toISOString(),
    readerId: number | null = null,
  ): void {
    this.insert.run(at, actor, action, caseId, JSON.stringify(detail), readerId)
  }

  entries(caseId: number | null): AuditEntry[] {
    return (this.forCase.all(caseId) as Array<Omit<AuditEntry, 'detail'> & { detail: string }>).map((row) => ({
      ...row,
      detail: JSON.parse(row.detail) as Record<string, unknown>,
    }))
  }
}
