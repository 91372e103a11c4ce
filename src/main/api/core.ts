import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { ModelRegistry } from '../inference/modelRegistry'
import { JobManager } from '../jobs/jobManager'
import { databasePath } from '../config/dataDir'
import { CaseStore } from '../store/caseStore'
import { schemaVersion } from '../store/database'
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
      await jobs.close()
      store.close()
    },
  }
}
