import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
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

const KINDS: Array<[string, BackupInfo['kind']]> = [['scheduled-', 'scheduled'], ['pre-migration-', 'pre-migration'], ['pre-restore-', 'pre-restore']]

/** The snapshots in `<data folder>/backups`, newest first, with what made each. */
export function listBackups(dbPath: string): BackupInfo[] {
  const dir = backupsDir(dbPath)
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((name) => name.endsWith('.sqlite'))
    .map((name) => {
      const stat = statSync(join(dir, name))
      return { name, kind: KINDS.find(([prefix]) => name.startsWith(prefix))?.[1] ?? 'manual', createdAt: stat.mtime.toISOString(), bytes: stat.size }
    })
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.name.localeCompare(a.name))
}

export function latestBackup(dbPath: string): string | null {
  const newest = listBackups(dbPath)[0]
  return newest ? join(backupsDir(dbPath), newest.name) : null
}

/** A daily snapshot when the newest is older than a day; keeps the last seven scheduled ones. */
export function scheduledBackup(db: Db, dbPath: string, now = new Date()): string | null {
  const dir = backupsDir(dbPath)
  const scheduled = existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('scheduled-')).sort() : []
  const newest = scheduled.at(-1)
  if (newest && now.getTime() - statSync(join(dir, newest)).mtimeMs < 24 * 3600 * 1000) return null
  const file = backupTo(db, join(dir, `scheduled-${now.toISOString().replace(/[:.]/g, '-')}.sqlite`))
  for (const old of [...scheduled, basename(file)].slice(0, -KEEP_SCHEDULED)) rmSync(join(dir, old), { force: true })
  return file
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
