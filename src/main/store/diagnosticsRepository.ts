import { statSync } from 'node:fs'
import Database from 'better-sqlite3'

export interface DatabaseReport {
  file: string
  exists: boolean
  bytes: number | null
  walBytes: number | null
  schemaVersion: number | null
  quickCheck: string[] | null
  /** rows per table: counts only, never a value */
  rows: Record<string, number>
  models: Array<{ id: string; version: string; sha256: string; registeredAt: string }>
  error: string | null
}

const COUNTED = ['cases', 'patients', 'labels', 'boxes', 'readers', 'models', 'predictions', 'heatmaps', 'audit_log'] as const

/**
 * What support needs to know about a database without opening it for writing (it may be damaged, or
 * held by the app): sizes, user_version, quick_check, row counts and the registered models. A
 * read-only connection, so a diagnostics export can never change or lock what it describes.
 */
export function databaseReport(file: string): DatabaseReport {
  const size = (path: string) => statSync(path, { throwIfNoEntry: false })?.size ?? null
  const report: DatabaseReport = {
    file,
    exists: size(file) !== null,
    bytes: size(file),
    walBytes: size(`${file}-wal`),
    schemaVersion: null,
    quickCheck: null,
    rows: {},
    models: [],
    error: null,
  }
  if (!report.exists) return report
  let db: Database.Database | null = null
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 })
    report.schemaVersion = db.pragma('user_version', { simple: true }) as number
    const rows = db.pragma('quick_check') as Array<Record<string, string>>
    report.quickCheck = rows.map((row) => String(Object.values(row)[0]))
    const tables = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name),
    )
    for (const table of COUNTED) {
      // Table names come from the constant list above, never from input.
      if (tables.has(table)) report.rows[table] = (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
    }
    if (tables.has('models')) {
      report.models = db
        .prepare('SELECT id, version, sha256, registered_at AS registeredAt FROM models ORDER BY registered_at')
        .all() as DatabaseReport['models']
    }
  } catch (error) {
    report.error = `${(error as NodeJS.ErrnoException).code ?? 'error'}: ${(error as Error).message}`
  } finally {
    db?.close()
  }
  return report
}
