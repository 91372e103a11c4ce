import { basename, dirname, join } from 'node:path'
import type { BackupInfo, DatabaseHealth, RestoreResult } from '../../shared/domain'
import { backupsDir, checkBackup, listBackups, restoreFrom, undoRestore } from '../store/backup'
import type { CaseStore } from '../store/caseStore'
import { withRestoreLock, type HolderKind } from '../store/dbHolders'

export interface BackupServiceDeps {
  store: CaseStore
  dbPath: string
  /** kinds of the background jobs still running: each holds its own connection to the file */
  runningJobs: () => string[]
  health: () => DatabaseHealth
  setHealth: (health: DatabaseHealth) => void
  /** what this process is, for the restore lock other processes see (default 'app') */
  kind?: HolderKind
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-')

/** Backups of the case database for the UI: list them, and restore one in place while the app runs. */
export function createBackupService(deps: BackupServiceDeps) {
  const { store, dbPath } = deps
  return {
    list(): BackupInfo[] {
      return listBackups(dbPath)
    },

    /**
     * Replaces the database with the named backup (a file in backups/, never an arbitrary path).
     * The backup is checked first; the current database is snapshotted into backups/ when it is
     * sound enough to read, and its file is kept beside the new one either way. The store reopens on
     * the restored file (migrating it when older) and must pass quick_check.
     */
    restore(name: string): RestoreResult {
      const entry = listBackups(dbPath).find((b) => b.name === name)
      if (!entry) throw new Error(`No backup named ${JSON.stringify(name)} in ${backupsDir(dbPath)}`)
      const running = deps.runningJobs()
      if (running.length)
        throw new Error(`Wait for the running ${running.join(', ')} job to finish, or cancel it, before restoring a backup`)
      const file = join(backupsDir(dbPath), entry.name)
      checkBackup(file)
      // Another process (a CLI command, browser mode beside the app) holding the file would go on
      // writing into the replaced copy: refuse while one does; openers wait until the swap is done.
      return withRestoreLock(dirname(dbPath), deps.kind ?? 'app', `restore of ${entry.name}`, () => {
        let safetyBackup: string | null = null
        if (deps.health().state === 'ok') safetyBackup = store.backupTo(join(backupsDir(dbPath), `pre-restore-${stamp()}.sqlite`))
        let previousFile: string | null = null
        store.reopen(
          () => (previousFile = restoreFrom(file, dbPath, { checked: true }).previous),
          () => undoRestore(dbPath, previousFile),
        )
        const problems = store.checkIntegrity()
        if (problems.length) throw new Error(`The restored database fails quick_check: ${problems.slice(0, 3).join('; ')}`)
        deps.setHealth({ state: 'ok' })
        return {
          restored: entry.name,
          safetyBackup: safetyBackup && basename(safetyBackup),
          previousFile,
          schemaVersion: store.schemaVersion(),
        }
      })
    },
  }
}

export type BackupService = ReturnType<typeof createBackupService>
