import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { ModelRegistry } from '../registry/modelRegistry'
import { JobManager } from '../jobs/jobManager'
import { databasePath } from '../config/dataDir'
import { CaseStore } from '../store/caseStore'
import { listBackups } from '../store/backup'
import { APP_VERSION } from '../config/version'
import type { DatabaseHealth } from '../../shared/domain'
import { createBackupService, type BackupService } from './backupService'
import { registerHolder } from '../store/dbHolders'

/** Everything the handlers need, opened once per process: the Electron shell, browser mode and tests share it. */
export interface Core {
  dataDir: string
  dbPath: string
  store: CaseStore
  jobs: JobManager
  registry: ModelRegistry
  backups: BackupService
  version: string
  readonly schemaVersion: number
  transport: 'electron' | 'web'
  /** The startup quick_check; while 'damaged' only app info and backups answer (the store is closed). */
  readonly health: DatabaseHealth
  close(): Promise<void>
}

const CORRUPTION_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB'])

/** Opens the store and runs quick_check; a damaged file is closed again and reported, not thrown. */
function openChecked(dbPath: string): { store: CaseStore; problems: string[] } {
  let store: CaseStore | null = null
  try {
    store = CaseStore.open(dbPath)
    const problems = store.checkIntegrity()
    if (problems.length) store.close()
    return { store, problems }
  } catch (error) {
    if (!CORRUPTION_CODES.has((error as { code?: string }).code ?? '')) throw error
    store?.close()
    return { store: new CaseStore(null, dbPath), problems: [(error as Error).message] }
  }
}

export function openCore(dataDir: string, transport: Core['transport']): Core {
  mkdirSync(dataDir, { recursive: true })
  const dbPath = databasePath(dataDir)
  // Listed before the file opens, so a `cxr-lens restore` in another process sees us and refuses.
  const kind = transport === 'electron' ? 'app' : 'web'
  const release = registerHolder(dataDir, kind, transport === 'electron' ? 'desktop app' : 'browser mode')
  let opened: ReturnType<typeof openChecked>
  try {
    opened = openChecked(dbPath)
  } catch (error) {
    release()
    throw error
  }
  const { store, problems } = opened
  let health: DatabaseHealth = problems.length ? { state: 'damaged', problems: problems.slice(0, 20), latestBackup: listBackups(dbPath)[0] ?? null } : { state: 'ok' }
  // A damaged database is never snapshotted: scheduled rotation would push the good backups out.
  const snapshot = () => {
    if (health.state === 'ok') store.scheduledBackup()
  }
  snapshot()
  // Long sessions (a workstation left open for days) still get their daily snapshot.
  const timer = setInterval(snapshot, 3600 * 1000)
  timer.unref()
  const jobs = new JobManager(dataDir)
  const backups = createBackupService({ store, dbPath, kind, runningJobs: () => jobs.running(), health: () => health, setHealth: (next) => (health = next) })
  return {
    dataDir,
    dbPath,
    store,
    jobs,
    registry: new ModelRegistry(store, join(dataDir, 'models')),
    backups,
    version: APP_VERSION,
    get schemaVersion() {
      return store.schemaVersion()
    },
    transport,
    get health() {
      return health
    },
    async close() {
      clearInterval(timer)
      await jobs.close()
      store.close()
      release()
    },
  }
}
