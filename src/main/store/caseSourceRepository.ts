import type { Db } from './database'

export type CaseSourceKind = 'folder' | 'pacs'

export interface CaseSource {
  caseId: number
  kind: CaseSourceKind
  pacsName: string | null
  /** the original UIDs, sealed by the local vault (pacs/caseOrigin.ts opens them); never plaintext */
  sealedUids: string
  createdAt: string
}

/** Where a DICOM case came from (migration 008): one row per case, written in the import's transaction. */
export class CaseSourceRepository {
  private readonly upsert
  private readonly byCase

  constructor(db: Db) {
    // A case's origin is fixed at import; a second write for the same case (a retried batch) keeps the first.
    this.upsert = db.prepare(`INSERT INTO case_sources (case_id, kind, pacs_name, sealed_uids, created_at)
      VALUES (?, ?, ?, ?, ?) ON CONFLICT (case_id) DO NOTHING`)
    this.byCase = db.prepare(`SELECT case_id AS caseId, kind, pacs_name AS pacsName, sealed_uids AS sealedUids,
      created_at AS createdAt FROM case_sources WHERE case_id = ?`)
  }

  put(caseId: number, kind: CaseSourceKind, pacsName: string | null, sealedUids: string, at = new Date().toISOString()): void {
    this.upsert.run(caseId, kind, pacsName, sealedUids, at)
  }

  get(caseId: number): CaseSource | undefined {
    return this.byCase.get(caseId) as CaseSource | undefined
  }
}
