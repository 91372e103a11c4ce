import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { join } from 'node:path'
import { MIGRATIONS, SCHEMA_VERSION } from './migrations'

export type Db = Database.Database

export class DatabaseTooNewError extends Error {
  constructor(path: string, found: number) {
    super(
      `The case database at ${path} has schema version ${found}, but this version of CXR Lens knows ` +
        `versions up to ${SCHEMA_VERSION}. It was written by a newer CXR Lens; update the app ` +
        `(the database was left untouched).`,
    )
    this.name = 'DatabaseTooNewError'
  }
}

/**
 * Opens (creating if needed) the case database and brings it to the current schema. WAL lets the
 * import worker write while the UI reads; busy_timeout makes the two wait for each other instead of
 * failing.
 */
export function openDatabase(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path)
  try {
    db.pragma('busy_timeout = 5000')
    db.pragma('foreign_keys = ON')
    if (path !== ':memory:') db.pragma('journal_mode = WAL')
    // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commit.
    db.pragma('synchronous = NORMAL')
    migrate(db, path)
    return db
  } catch (error) {
    db.close()
    throw error
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number
}

/** Applies each pending migration in its own transaction, so a failure leaves the last good version. */
export function migrate(db: Db, path = ':memory:'): void {
  const current = schemaVersion(db)
  if (current > SCHEMA_VERSION) throw new DatabaseTooNewError(path, current)
  if (current > 0 && current < SCHEMA_VERSION && path !== ':memory:') {
    // A snapshot before the schema changes: a failed or regretted upgrade never costs data.
    const dir = join(dirname(path), 'backups')
    mkdirSync(dir, { recursive: true })
    db.prepare('VACUUM INTO ?').run(join(dir, `pre-migration-v${current}-${new Date().toISOString().replace(/[:.]/g, '-')}.sqlite`))
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    const apply = db.transaction(() => {
      db.exec(MIGRATIONS[version])
      db.pragma(`user_version = ${version + 1}`)
    })
    apply()
  }
}
