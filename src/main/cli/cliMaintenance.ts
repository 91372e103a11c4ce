import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { databasePath, resolveDataDir } from '../config/dataDir'
import { reidentificationStatus } from '../reid/reidentification'
import { copySealedBeside } from '../reid/sealedBackup'
import { checkBackup, restoreFrom, snapshotBeforeRestore } from '../store/backup'
import { CaseStore } from '../store/caseStore'
import { withRestoreLock } from '../store/dbHolders'
import { UsageError } from './cliContext'
import { DataFolder } from '../config/dataFolder'

export const MAINTENANCE_USAGE = `cxr-lens backup [--out FILE] [--with-reidentification] | cxr-lens restore FILE | cxr-lens check`

/**
 * `check`: the full integrity check; exits 1 when the database is damaged. Plaintext patient
 * identifiers in the data folder (a table from an earlier version) are reported loudly on stderr;
 * they do not change the exit code, which scripts read as the database's integrity.
 */
export function runCheck(store: CaseStore, dataDir: string): number {
  for (const warning of reidentificationStatus(dataDir).warnings) console.error(`WARNING: ${warning}`)
  const problems = store.checkIntegrity(true)
  if (problems.length === 0) {
    console.log('integrity_check: ok')
    return 0
  }
  console.error(`integrity_check found ${problems.length} problem(s):\n  ${problems.slice(0, 20).join('\n  ')}`)
  return 1
}

export function runBackup(store: CaseStore, dataDir: string, args: string[]): number {
  const { values } = parseArgs({
    args,
    options: { out: { type: 'string' }, 'with-reidentification': { type: 'boolean' }, 'data-dir': { type: 'string' } },
  })
  const file = values.out
    ? resolve(values.out)
    : join(new DataFolder(dataDir).backups, `manual-${new Date().toISOString().replace(/[:.]/g, '-')}.sqlite`)
  console.log(`backup written to ${store.backupTo(file)}`)
  // The sealed re-identification file stays out of backups unless asked for: it is copied beside the snapshot.
  if (values['with-reidentification']) {
    const copy = copySealedBeside(dataDir, file)
    console.log(copy ? `sealed re-identification file copied to ${copy}` : 'no sealed re-identification file to copy')
  }
  return 0
}

/**
 * Runs with the database closed: it swaps the file. Refused (exit 1, naming each process) while any
 * other process has the database open, since that process would keep writing into the replaced file;
 * processes starting meanwhile wait for the swap to finish.
 */
export function runRestore(args: string[]): number {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: { 'data-dir': { type: 'string' } } })
  if (!positionals[0]) throw new UsageError(`restore needs the backup file\nusage: ${MAINTENANCE_USAGE}`)
  const backup = resolve(positionals[0])
  if (!existsSync(backup)) throw new Error(`No backup at ${backup}`)
  const dataDir = resolveDataDir(args)
  const dbPath = databasePath(dataDir)
  checkBackup(backup) // before the lock: openers elsewhere wait only for the swap itself
  const { previous, safety } = withRestoreLock(dataDir, 'cli', 'cxr-lens restore', () => {
    // As in the Backups dialog: the replaced database is snapshotted first (pre-restore-…), when readable.
    const safety = snapshotBeforeRestore(dbPath, new Date().toISOString().replace(/[:.]/g, '-'))
    return { ...restoreFrom(backup, dbPath, { checked: true }), safety }
  })
  console.log(
    `restored ${backup} into ${dbPath}${previous ? `; the replaced database is kept as ${previous}` : ''}${safety ? `; snapshot ${safety}` : ''}`,
  )
  return 0
}
