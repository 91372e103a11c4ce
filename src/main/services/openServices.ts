import { mkdirSync } from 'node:fs'
import { DataFolder } from '../config/dataFolder'
import { APP_VERSION } from '../config/version'
import { BackgroundAnalysis } from '../jobs/backgroundAnalysis'
import { JobManager } from '../jobs/jobManager'
import { ModelRegistry } from '../registry/modelRegistry'
import { listBackups } from '../store/backup'
import { CaseStore } from '../store/caseStore'
import { registerHolder, type HolderKind } from '../store/dbHolders'
import type { DatabaseHealth } from '../../shared/domain'
import { createBackupService, type BackupService } from './backupService'
import { boundNativeMemory } from './nativeMemory'
import { rememberProviderFailuresIn } from '../model/providerMemory'

/**
 * What opens a data folder: the desktop app, browser mode, a CLI command, or a job worker (a thread
 * of the app or browser-mode process).
 */
export type ServiceKind = HolderKind | 'worker'

export interface ServiceOptions {
  kind: ServiceKind
  /** what this process is doing, for a refused restore's message (`cxr-lens import`); defaults by kind */
  what?: string
  /**
   * Analyse every imported case in the background (the app and browser mode; not the CLI, and not
   * unit tests unless they ask). `CXR_LENS_BACKGROUND=off` turns it off for a launch.
   */
  background?: boolean
}

/** Import progress sweeps the new cases into the queue at most this often. */
const IMPORT_SWEEP_MS = 250

/** Everything a process needs on one data folder, opened once: the shells, the CLI, the worker and tests share it. */
export interface Services {
  folder: DataFolder
  /** the folder's root (what app:info shows) */
  dataDir: string
  dbPath: string
  kind: ServiceKind
  store: CaseStore
  jobs: JobManager
  /** The background analysis queue and its worker (started only when openServices is asked to). */
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
const DEFAULT_WHAT: Record<ServiceKind, string> = { app: 'desktop app', web: 'browser mode', cli: 'cxr-lens', worker: 'job worker' }

/**
 * Opens the store and runs quick_check. A damaged file is closed again and reported, not thrown;
 * the CLI keeps it open, since `cxr-lens check` and `backup` exist to look at a damaged database.
 */
function openChecked(dbPath: string, keepDamagedOpen: boolean): { store: CaseStore; problems: string[] } {
  let store: CaseStore | null = null
  try {
    store = CaseStore.open(dbPath)
    const problems = store.checkIntegrity()
    if (problems.length && !keepDamagedOpen) store.close()
    return { store, problems }
  } catch (error) {
    if (keepDamagedOpen || !CORRUPTION_CODES.has((error as { code?: string }).code ?? '')) throw error
    store?.close()
    return { store: new CaseStore(null, dbPath), problems: [(error as Error).message] }
  }
}

/**
 * The one bootstrap. Every kind gets the holder registration (except a worker: its process is
 * already listed by the app or browser mode that started it, and a second file for the same pid
 * would be released under the parent), quick_check, and the daily backup rotation (which takes a
 * lock in backups/, so processes and workers opening the folder together make one snapshot a day).
 */
export function openServices(folder: DataFolder, options: ServiceOptions): Services {
  const { kind } = options
  boundNativeMemory()
  // This thread's sessions skip a provider this machine is known to lack (a failed WebGPU costs ~65 MB).
  rememberProviderFailuresIn(folder.providerFailures)
  mkdirSync(folder.root, { recursive: true })
  const dbPath = folder.database
  // Listed before the file opens, so a `cxr-lens restore` in another process sees us and refuses.
  const release = kind === 'worker' ? () => undefined : registerHolder(folder.root, kind, options.what ?? DEFAULT_WHAT[kind])
  let opened: ReturnType<typeof openChecked>
  try {
    opened = openChecked(dbPath, kind === 'cli')
  } catch (error) {
    release()
    throw error
  }
  const { store, problems } = opened
  let health: DatabaseHealth = problems.length
    ? { state: 'damaged', problems: problems.slice(0, 20), latestBackup: listBackups(dbPath)[0] ?? null }
    : { state: 'ok' }
  // A damaged database is never snapshotted: scheduled rotation would push the good backups out.
  const snapshot = () => {
    if (health.state === 'ok') store.scheduledBackup()
  }
  try {
    snapshot()
  } catch (error) {
    store.close()
    release()
    throw error
  }
  // Long sessions (a workstation left open for days) still get their daily snapshot.
  const timer = setInterval(snapshot, 3600 * 1000)
  timer.unref()
  const jobs = new JobManager(folder.root)
  const registry = new ModelRegistry(store, folder.models)
  const background = new BackgroundAnalysis(store, registry, folder.root)
  const runningJobs = () => [...jobs.running(), ...(background.busy ? ['background analysis'] : [])]
  const holderKind: HolderKind = kind === 'worker' ? 'app' : kind
  const backups = createBackupService({
    store,
    dbPath,
    kind: holderKind,
    runningJobs,
    health: () => health,
    setHealth: (next) => (health = next),
  })
  if (options.background && health.state === 'ok' && process.env.CXR_LENS_BACKGROUND !== 'off') {
    // Cases an import commits are queued while it runs (its batches commit every few dozen images),
    // so the first heatmaps land before the import ends; the model loads as the import starts.
    let lastSweep = 0
    jobs.on('progress', ({ jobId }) => {
      const jobKind = jobs.get(jobId)?.kind
      if ((jobKind !== 'import' && jobKind !== 'importDicom') || Date.now() - lastSweep < IMPORT_SWEEP_MS) return
      lastSweep = Date.now()
      background.sweep()
    })
    jobs.on('finished', ({ kind: jobKind }) => {
      if (jobKind === 'import' || jobKind === 'importDicom' || jobKind === 'train') background.sweep()
    })
    background.start()
  }
  return {
    folder,
    dataDir: folder.root,
    dbPath,
    kind,
    store,
    jobs,
    background,
    registry,
    backups,
    version: APP_VERSION,
    get schemaVersion() {
      return store.schemaVersion()
    },
    transport: kind === 'app' ? 'electron' : 'web',
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
