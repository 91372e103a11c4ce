import Database from 'better-sqlite3'

/** One row of the plaintext re-identification table that CXR Lens kept before sealing existed. */
export interface LegacyReidRow {
  pseudonym: string
  kind: string
  original: string
  createdAt: string
}

/**
 * Reads the legacy `reidentification.sqlite` (table `pseudonyms`), read-only: it is only ever read
 * to seal its rows, then removed by the caller. Nothing writes this table any more.
 */
export function readLegacyReidentification(file: string): LegacyReidRow[] {
  let db: Database.Database | null = null
  try {
    db = new Database(file, { readonly: true, fileMustExist: true })
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'pseudonyms'").get()
    if (!table) return []
    return db.prepare('SELECT pseudonym, kind, original, created_at AS createdAt FROM pseudonyms ORDER BY rowid').all() as LegacyReidRow[]
  } catch (error) {
    throw new Error(`Cannot read the plaintext re-identification table ${file} (${(error as Error).message}); it is left in place`)
  } finally {
    db?.close()
  }
}
