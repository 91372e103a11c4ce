import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { ModelRegistry } from '../registry/modelRegistry'
import { BackgroundAnalysis } from '../jobs/backgroundAnalysis'
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
  /** The background analysis queue and its worker (started only when openCore is asked to). */
  background: BackgroundAnalysis
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

export interface CoreOptions {
  /**
   * Analyse every imported case in the background (the app and browser mode; not the CLI, and not
   * unit tests unless they ask). `CXR_LENS_BACKGROUND=off` turns it off for a launch.
   */
  background?: boolean
}

/** Import progress sweeps the new cases into the queue at most this often. */
const IMPORT_SWEEP_MS = 250

export function openCore(dataDir: string, transport: Core['transport'], options: CoreOptions = {}): Core {
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
  const registry = new ModelRegistry(store, join(dataDir, 'models'))
  const background = new BackgroundAnalysis(store, registry, dataDir)
  const runningJobs = () => [...jobs.running(), ...(background.busy ? ['background analysis'] : [])]
  const backups = createBackupService({ store, dbPath, kind, runningJobs, health: () => health, setHealth: (next) => (health = next) })
  if (options.background && health.state === 'ok' && process.env.CXR_LENS_BACKGROUND !== 'off') {
    // Cases an import commits are queued while it runs (its batches commit every few dozen images),
    // so the first heatmaps land before the import ends; the model loads as the import starts.
    let lastSweep = 0
    jobs.on('progress', ({ jobId }) => {
      const kind = jobs.get(jobId)?.kind
      if ((kind !== 'import' && kind !== 'importDicom') || Date.now() - lastSweep < IMPORT_SWEEP_MS) return
      lastSweep = Date.now()
      background.sweep()
    })
    jobs.on('finished', ({ kind }) => {
      if (kind === 'import' || kind === 'importDicom' || kind === 'train') background.sweep()
    })
    background.start()
  }
  return {
    dataDir,
    dbPath,
    store,
    jobs,
    background,
    registry,
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
      await background.close()
      await jobs.close()
      store.close()
      release()
    },
  }
}
