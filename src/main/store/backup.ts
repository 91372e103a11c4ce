import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import { DataFolder } from '../config/dataFolder'
import { SCHEMA_VERSION } from './migrations'
import type { Db } from './database'
import type { BackupInfo } from '../../shared/domain'

const KEEP_SCHEDULED = 7

export function backupsDir(dbPath: string): string {
  return DataFolder.ofDatabase(dbPath).backups
}

/** A consistent snapshot of the live database (VACUUM INTO works while readers and the WAL are active). */
export function backupTo(db: Db, file: string): string {
  mkdirSync(dirname(file), { recursive: true })
  if (existsSync(file)) throw new Error(`${file} already exists; choose another name`)
  db.prepare('VACUUM INTO ?').run(file)
  return file
}

/** `PRAGMA quick_check` (fast) or `integrity_check` (thorough); returns the problems, empty when sound. */
export function checkIntegrity(db: Db, thorough = false): string[] {
  const rows = db.pragma(thorough ? 'integrity_check' : 'quick_check') as Array<Record<string, string>>
  const messages = rows.map((row) => Object.values(row)[0])
  return messages.length === 1 && messages[0] === 'ok' ? [] : messages
}

const KINDS: Array<[string, BackupInfo['kind']]> = [
  ['scheduled-', 'scheduled'],
  ['pre-migration-', 'pre-migration'],
  ['pre-restore-', 'pre-restore'],
]

/** The snapshots in `<data folder>/backups`, newest first, with what made each. */
export function listBackups(dbPath: string): BackupInfo[] {
  const dir = backupsDir(dbPath)
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((name) => name.endsWith('.sqlite'))
    .map((name) => {
      const stat = statSync(join(dir, name))
      return {
        name,
        kind: KINDS.find(([prefix]) => name.startsWith(prefix))?.[1] ?? 'manual',
        createdAt: stat.mtime.toISOString(),
        bytes: stat.size,
      }
    })
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.name.localeCompare(a.name))
}

export function latestBackup(dbPath: string): string | null {
  const newest = listBackups(dbPath)[0]
  return newest ? join(backupsDir(dbPath), newest.name) : null
}

/** A lock older than this was left by a process that died mid-snapshot (VACUUM INTO takes seconds). */
const STALE_ROTATION_LOCK_MS = 10 * 60 * 1000

/** Takes the rotation lock, or returns null when another process or worker holds it. */
function takeRotationLock(lock: string): (() => void) | null {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx')
      writeSync(fd, String(process.pid))
      return () => {
        closeSync(fd)
        rmSync(lock, { force: true })
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const held = statSync(lock, { throwIfNoEntry: false })
      // The wall clock, not the schedule's `now`: staleness is about the holder, not the day.
      if (held && Date.now() - held.mtimeMs < STALE_ROTATION_LOCK_MS) return null
      rmSync(lock, { force: true })
    }
  }
  return null
}

/**
 * A daily snapshot when the newest is older than a day; keeps the last seven scheduled ones. The
 * app, browser mode, CLI commands and job workers all call this on opening the folder: the lock
 * and the check under it make one snapshot per day however many open it at once.
 */
export function scheduledBackup(db: Db, dbPath: string, now = new Date()): string | null {
  const folder = DataFolder.ofDatabase(dbPath)
  const dir = folder.backups
  mkdirSync(dir, { recursive: true })
  const unlock = takeRotationLock(folder.backupRotationLock)
  if (!unlock) return null // another process is taking today's snapshot right now
  try {
    const scheduled = readdirSync(dir)
      .filter((f) => f.startsWith('scheduled-'))
      .sort()
    const newest = scheduled.at(-1)
    if (newest && now.getTime() - statSync(join(dir, newest)).mtimeMs < 24 * 3600 * 1000) return null
    const file = backupTo(db, join(dir, `scheduled-${now.toISOString().replace(/[:.]/g, '-')}.sqlite`))
    for (const old of [...scheduled, basename(file)].slice(0, -KEEP_SCHEDULED)) rmSync(join(dir, old), { force: true })
    return file
  } finally {
    unlock()
  }
}

/** Refuses a file that is not a sound CXR Lens database this version can open. */
export function checkBackup(backup: string): void {
  let candidate: Db | null = null
  try {
    candidate = new Database(backup, { readonly: true, fileMustExist: true })
    const problems = checkIntegrity(candidate, true)
    if (problems.length) throw new Error(`${backup} fails the integrity check: ${problems.slice(0, 3).join('; ')}`)
    const version = candidate.pragma('user_version', { simple: true }) as number
    if (version > SCHEMA_VERSION) throw new Error(`${backup} was written by a newer CXR Lens (schema ${version} > ${SCHEMA_VERSION})`)
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_NOTADB') throw new Error(`${backup} is not a CXR Lens database backup`)
    throw error
  } finally {
    candidate?.close()
  }
}

/**
 * Replaces the database with a backup after checking the backup is sound and not from a newer app.
 * The current file is kept beside it (never deleted), so a restore can itself be undone.
 */
export function restoreFrom(backup: string, dbPath: string, options: { checked?: boolean } = {}): { previous: string | null } {
  // `checked`: the caller ran checkBackup already, outside the restore lock, so other processes
  // wait for the file copy only, not for a thorough integrity check of a large backup.
  if (!options.checked) checkBackup(backup)
  let previous: string | null = null
  if (existsSync(dbPath)) {
    previous = `${dbPath}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`
    renameSync(dbPath, previous)
    for (const suffix of ['-wal', '-shm']) if (existsSync(dbPath + suffix)) renameSync(dbPath + suffix, previous + suffix)
  }
  copyFileSync(backup, dbPath)
  return { previous }
}

/** Puts back the file `restoreFrom` moved aside (when the restored one could not be opened). */
export function undoRestore(dbPath: string, previous: string | null): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true })
  if (!previous) return
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(previous + suffix)) renameSync(previous + suffix, dbPath + suffix)
}

/**
 * `pre-restore-<stamp>.sqlite` in backups/ of the database a restore is about to replace, when it is
 * sound enough to read (a restore is often run because it is not); null when there is none to take.
 * The caller holds the restore lock, so nobody writes meanwhile.
 */
export function snapshotBeforeRestore(dbPath: string, stamp: string): string | null {
  if (!existsSync(dbPath)) return null
  let db: Db | null = null
  try {
    db = new Database(dbPath, { fileMustExist: true })
    if (checkIntegrity(db).length) return null
    return backupTo(db, join(backupsDir(dbPath), `pre-restore-${stamp}.sqlite`))
  } catch {
    return null // too damaged to open: its file is still kept beside the restored one
  } finally {
    db?.close()
  }
}
