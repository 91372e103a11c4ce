import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { ModelRegistry } from '../inference/modelRegistry'
import { JobManager } from '../jobs/jobManager'
import { databasePath } from '../config/dataDir'
import { CaseStore } from '../store/caseStore'
import { schemaVersion } from '../store/database'
import { checkIntegrity, latestBackup, scheduledBackup } from '../store/backup'
import { APP_VERSION } from '../config/version'

/** Everything the handlers need, opened once per process: the Electron shell, browser mode and tests share it. */
export interface Core {
  dataDir: string
  dbPath: string
  store: CaseStore
  jobs: JobManager
  registry: ModelRegistry
  version: string
  schemaVersion: number
  transport: 'electron' | 'web'
  close(): Promise<void>
}

export function openCore(dataDir: string, transport: Core['transport']): Core {
  mkdirSync(dataDir, { recursive: true })
  const dbPath = databasePath(dataDir)
  const store = CaseStore.open(dbPath)
  const problems = checkIntegrity(store.db)
  if (problems.length) {
    store.close()
    const backup = latestBackup(dbPath)
    throw new Error(`The case database ${dbPath} is damaged (${problems.slice(0, 2).join('; ')}). ` +
      (backup ? `The latest backup is ${backup}: restore it with \`cxr-lens restore "${backup}"\`.` : 'No backup was found.'))
  }
  scheduledBackup(store.db, dbPath)
  // Long sessions (a workstation left open for days) still get their daily snapshot.
  const timer = setInterval(() => scheduledBackup(store.db, dbPath), 3600 * 1000)
  timer.unref()
  const jobs = new JobManager(dataDir)
  return {
    dataDir,
    dbPath,
    store,
    jobs,
    registry: new ModelRegistry(store, join(dataDir, 'models')),
    version: APP_VERSION,
    schemaVersion: schemaVersion(store.db),
    transport,
    async close() {
      clearInterval(timer)
      await jobs.close()
      store.close()
    },
  }
}
