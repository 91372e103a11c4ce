import type { PacsAuthKind } from '../../shared/pacs'
import type { Db } from './database'

/** A stored connection; `secretSealed` is the vault's ciphertext, opened only by pacs/pacsConnections.ts. */
export interface PacsConnectionRow {
  name: string
  url: string
  auth: PacsAuthKind
  user: string | null
  secretSealed: string | null
  createdAt: string
}

const COLUMNS = 'name, url, auth, user_name AS user, secret_sealed AS secretSealed, created_at AS createdAt'

export class PacsRepository {
  private readonly all
  private readonly one
  private readonly insertRow
  private readonly deleteRow

  constructor(db: Db) {
    this.all = db.prepare(`SELECT ${COLUMNS} FROM pacs_connections ORDER BY name COLLATE NOCASE`)
    this.one = db.prepare(`SELECT ${COLUMNS} FROM pacs_connections WHERE name = ?`)
    this.insertRow = db.prepare(
      'INSERT INTO pacs_connections (name, url, auth, user_name, secret_sealed, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    )
    this.deleteRow = db.prepare('DELETE FROM pacs_connections WHERE name = ?')
  }

  list(): PacsConnectionRow[] {
    return this.all.all() as PacsConnectionRow[]
  }

  /** By name, case-insensitively (names are unique that way). */
  get(name: string): PacsConnectionRow | undefined {
    return this.one.get(name) as PacsConnectionRow | undefined
  }

  insert(row: PacsConnectionRow): void {
    try {
      this.insertRow.run(row.name, row.url, row.auth, row.user, row.secretSealed, row.createdAt)
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
        throw new Error(`A PACS named "${row.name}" is configured already`)
      throw error
    }
  }

  remove(name: string): boolean {
    return this.deleteRow.run(name).changes > 0
  }
}
