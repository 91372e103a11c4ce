import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { join } from 'node:path'
import { DataFolder } from '../config/dataFolder'
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
 * How long a writer waits for another connection's write (another process: the app, browser mode, a
 * CLI import) before giving up. Every write transaction is short (an import commits every 24 images,
 * a box save is one row and its audit entry), so waits are bounded by the longest batch, far below
 * this; the limit only ends a wait on a process that hangs while writing.
 */
export const BUSY_TIMEOUT_MS = 60_000

const BUSY_CODES = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_RECOVERY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED'])

export function isBusyError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code
  return typeof code === 'string' && BUSY_CODES.has(code)
}

const pause = new Int32Array(new SharedArrayBuffer(4))

/**
 * Runs `fn` again while SQLite answers SQLITE_BUSY, for the few statements where SQLite does not call
 * the busy handler itself (switching the journal mode, a WAL being recovered). Only for work that
 * holds no transaction open: a retry inside one would repeat half of it.
 */
export function retryBusy<T>(fn: () => T, timeoutMs = BUSY_TIMEOUT_MS): T {
  const deadline = Date.now() + timeoutMs
  for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
    try {
      return fn()
    } catch (error) {
      if (!isBusyError(error) || Date.now() > deadline) throw error
      Atomics.wait(pause, 0, 0, wait)
    }
  }
}

/**
 * A write transaction that takes the write lock at BEGIN (IMMEDIATE). A deferred transaction that
 * reads first and then writes must upgrade to a writer; in WAL mode, when another process committed
 * meanwhile, that upgrade fails at once with "database is locked" whatever the busy timeout, because
 * its snapshot is stale. BEGIN IMMEDIATE waits in the busy handler instead. Nested calls become
 * savepoints (better-sqlite3 does that for any variant).
 */
export function writeTransaction<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate()
}

/**
 * Opens (creating if needed) the case database and brings it to the current schema. WAL lets the
 * import worker and other processes write while the UI reads; the busy timeout and immediate write
 * transactions make writers wait for each other instead of failing.
 */
export function openDatabase(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS })
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
    db.pragma('foreign_keys = ON')
    // Two processes creating the file at once both switch it to WAL; the loser is told BUSY without
    // the busy handler, so it tries again.
    if (path !== ':memory:') retryBusy(() => db.pragma('journal_mode = WAL'))
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
    const dir = DataFolder.ofDatabase(path).backups
    mkdirSync(dir, { recursive: true })
    db.prepare('VACUUM INTO ?').run(join(dir, `pre-migration-v${current}-${new Date().toISOString().replace(/[:.]/g, '-')}.sqlite`))
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    writeTransaction(db, () => {
      // Another process opening the same file may have applied this step while we waited for the lock.
      if (schemaVersion(db) !== version) return
      db.exec(MIGRATIONS[version])
      db.pragma(`user_version = ${version + 1}`)
    })
  }
}
