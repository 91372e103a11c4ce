import type { Reader, ReaderRole } from '../../shared/domain'
import type { Db } from './database'

interface ReaderRow {
  id: number
  name: string
  role: ReaderRole
  administrator: number
  hasSecret: number
  createdAt: string
}

/** What a login needs to know about a reader besides the public record. */
export interface ReaderCredentials {
  secretHash: string | null
  failedLogins: number
  lastFailedAt: string | null
}

export interface NewReader {
  secretHash?: string | null
  administrator?: boolean
  at?: string
}

const COLUMNS = 'id, name, role, administrator, secret_hash IS NOT NULL AS hasSecret, created_at AS createdAt'

function toReader(row: ReaderRow | undefined): Reader | undefined {
  return row && { ...row, administrator: row.administrator === 1, hasSecret: row.hasSecret === 1 }
}

export class ReaderRepository {
  private readonly insert
  private readonly all
  private readonly one
  private readonly credentialsOf
  private readonly updateSecret
  private readonly updateRole
  private readonly failure
  private readonly success

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO readers (name, role, created_at, secret_hash, administrator) VALUES (?, ?, ?, ?, ?)')
    this.all = db.prepare(`SELECT ${COLUMNS} FROM readers ORDER BY name COLLATE NOCASE`)
    this.one = db.prepare(`SELECT ${COLUMNS} FROM readers WHERE id = ?`)
    this.credentialsOf = db.prepare(
      'SELECT secret_hash AS secretHash, failed_logins AS failedLogins, last_failed_at AS lastFailedAt FROM readers WHERE id = ?',
    )
    // A new secret also clears the backoff: an administrator just vouched for the reader.
    this.updateSecret = db.prepare('UPDATE readers SET secret_hash = ?, failed_logins = 0, last_failed_at = NULL WHERE id = ?')
    this.updateRole = db.prepare('UPDATE readers SET role = ?, administrator = ? WHERE id = ?')
    this.failure = db.prepare('UPDATE readers SET failed_logins = failed_logins + 1, last_failed_at = ? WHERE id = ?')
    this.success = db.prepare('UPDATE readers SET failed_logins = 0, last_failed_at = NULL WHERE id = ?')
  }

  create(name: string, role: ReaderRole, options: NewReader = {}): Reader {
    try {
      const { lastInsertRowid } = this.insert.run(
        name.trim(),
        role,
        options.at ?? new Date().toISOString(),
        options.secretHash ?? null,
        options.administrator ? 1 : 0,
      )
      return this.get(Number(lastInsertRowid))!
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
        throw new Error(`A reader named "${name.trim()}" already exists`)
      throw error
    }
  }

  list(): Reader[] {
    return (this.all.all() as ReaderRow[]).map((row) => toReader(row)!)
  }

  get(id: number): Reader | undefined {
    return toReader(this.one.get(id) as ReaderRow | undefined)
  }

  credentials(id: number): ReaderCredentials | undefined {
    return this.credentialsOf.get(id) as ReaderCredentials | undefined
  }

  setSecretHash(id: number, secretHash: string): void {
    this.updateSecret.run(secretHash, id)
  }

  setRole(id: number, role: ReaderRole, administrator: boolean): void {
    this.updateRole.run(role, administrator ? 1 : 0, id)
  }

  recordFailedLogin(id: number, at: string): void {
    this.failure.run(at, id)
  }

  clearFailedLogins(id: number): void {
    this.success.run(id)
  }
}
