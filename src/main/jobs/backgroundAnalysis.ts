/**
 * Background analysis, main-thread side: keeps the persistent queue filled (every case without the
 * default model's Grad-CAM, swept on start, when an import reports progress and every few seconds, so
 * a CLI import in another process is picked up too), runs one worker thread while there is work,
 * tells it which case is open, and turns its messages into `background:*` events.
 */
import { EventEmitter } from 'node:events'
import type { Worker } from 'node:worker_threads'
import type { BackgroundRequest, BackgroundResults, BackgroundStatus } from '../../shared/background'
import type { ExplainMethod } from '../../shared/explainMethods'
import { checkMethodSupported } from '../explain/methods'
import type { ModelRegistry } from '../registry/modelRegistry'
import type { QueueTarget } from '../store/analysisQueueRepository'
import type { CaseStore } from '../store/caseStore'
import type { BackgroundManagerMessage, BackgroundWorkerInput, BackgroundWorkerMessage } from './backgroundProtocol'
import { log } from '../logging/log'
import { startWorkerThread } from './workerEntry'
import { ResultsCoalescer } from './backgroundResults'

/** What every imported case gets without anyone asking. */
export const BACKGROUND_METHOD: ExplainMethod = 'gradcam'
const POLL_MS = 2000
const IDLE_MS = 30_000
/** At most four status and four results events a second: each one re-renders the chip or worklist rows in every window. */
const STATUS_INTERVAL_MS = 250
const RESULTS_INTERVAL_MS = 250

export interface BackgroundEvents {
  status: [BackgroundStatus]
  results: [BackgroundResults]
}

const spawnBackgroundWorker = (input: BackgroundWorkerInput): Worker => startWorkerThread('backgroundWorker', input)

export class BackgroundAnalysis extends EventEmitter<BackgroundEvents> {
  private worker: Worker | null = null
  private focusId: number | null = null
  private paused = false
  private timer: NodeJS.Timeout | null = null
  private lastStatus = 0
  private statusTimer: NodeJS.Timeout | null = null
  /** done/failed counts when the current run of work began (the chip counts from there). */
  private base = { done: 0, failed: 0 }
  private wasIdle = true
  /** Set while a restore swaps the database file: no worker may hold a connection. */
  private suspended = false
  /** Set by start(): only then are new cases swept in without being asked (the app, browser mode). */
  private started = false
  /** Batches' results go out together, at most every RESULTS_INTERVAL_MS (the first of a run at once). */
  private readonly results = new ResultsCoalescer(RESULTS_INTERVAL_MS, (results) => this.emit('results', results))

  constructor(
    private readonly store: CaseStore,
    private readonly registry: ModelRegistry,
    private readonly dataDir: string,
    private readonly options: { pollMs?: number; idleMs?: number } = {},
  ) {
    super()
  }

  /** Resumes what a stopped process left (rows it had running go back to pending) and starts polling. */
  start(): void {
    if (!this.store.isOpen) return
    this.started = true
    this.store.transaction(() => this.store.queue.resetRunning())
    const counts = this.store.queue.counts()
    this.base = { done: counts.done, failed: counts.failed }
    this.sweep()
    this.timer = setInterval(() => this.sweep(), this.options.pollMs ?? POLL_MS)
    this.timer.unref()
  }

  /** The default model with Grad-CAM, or null when no model is installed (or it cannot run Grad-CAM). */
  target(): QueueTarget | null {
    const first = this.registry.list()[0]
    if (!first) return null
    try {
      checkMethodSupported(first.pkg, BACKGROUND_METHOD)
    } catch {
      return null
    }
    return { modelId: first.pkg.manifest.id, modelVersion: first.pkg.manifest.version, method: BACKGROUND_METHOD }
  }

  /** Queues cases that lack the default analysis; starts the worker when anything is pending. */
  sweep(): void {
    if (!this.store.isOpen) return
    try {
      const target = this.started ? this.target() : null
      if (target && this.store.queue.hasMissing(target)) this.store.transaction(() => this.store.queue.sweep(target))
      if (this.store.queue.hasPending()) this.ensureWorker()
    } catch (error) {
      // A sweep that fails (a busy or closed file during a restore) is tried again at the next poll.
      log().error('background sweep failed', { error: (error as Error).message })
    }
  }

  /** The reader opened a case: it goes first. */
  focus(caseId: number | null): void {
    this.focusId = caseId
    this.worker?.postMessage({ type: 'focus', caseId } satisfies BackgroundManagerMessage)
  }

  /** "Analyse all / selected / filtered cases" with any installed model and method. */
  enqueue(request: BackgroundRequest): { queued: number } {
    const { pkg } = this.registry.get(request.model, request.version)
    const method = request.method ?? BACKGROUND_METHOD
    checkMethodSupported(pkg, method)
    const { scope } = request
    const ids =
      scope.kind === 'all'
        ? this.store.worklist.matchingIds({})
        : scope.kind === 'filter'
          ? this.store.worklist.matchingIds(scope.filter)
          : scope.caseIds
    const target = { modelId: pkg.manifest.id, modelVersion: pkg.manifest.version, method }
    const queued = this.store.transaction(() => this.store.queue.enqueue(ids, target))
    if (queued > 0) this.ensureWorker()
    this.emitStatus(true)
    return { queued }
  }

  /** Pausing lets the batch in hand finish and stops the worker; queued rows stay for the resume. */
  setPaused(paused: boolean): BackgroundStatus {
    this.paused = paused
    if (paused) this.worker?.postMessage({ type: 'stop' } satisfies BackgroundManagerMessage)
    else this.sweep()
    this.emitStatus(true)
    return this.status()
  }

  /** Cancel: every pending row is dropped (results already stored stay); the worker idles out. */
  cancel(): { cancelled: number } {
    const cancelled = this.store.transaction(() => this.store.queue.clearPending())
    this.emitStatus(true)
    return { cancelled }
  }

  /** A new import is starting: load the model meanwhile, so its first case is answered at once. */
  prewarm(): void {
    if (this.started && !this.paused && this.target()) this.ensureWorker()
  }

  /** True while a worker holds the database (a restore waits for it). */
  get busy(): boolean {
    return this.worker !== null
  }

  status(): BackgroundStatus {
    const counts = this.store.queue.counts()
    const working = counts.pending + counts.running > 0
    if (working && this.wasIdle) this.base = { done: counts.done, failed: counts.failed }
    this.wasIdle = !working
    const done = counts.done - this.base.done
    const failed = counts.failed - this.base.failed
    const target = this.target()
    return {
      ...counts,
      paused: this.paused,
      active: this.worker !== null,
      run: { done, failed, total: counts.pending + counts.running + done + failed },
      target: target ? { model: target.modelId, version: target.modelVersion, method: BACKGROUND_METHOD } : null,
      failures: this.store.queue.failures(10),
    }
  }

  /** Stops the worker (after its batch) and keeps it stopped until `resume`: a restore is about to swap the file. */
  async suspend(): Promise<void> {
    this.suspended = true
    await this.stopWorker()
  }

  resume(): void {
    this.suspended = false
    this.sweep()
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    if (this.statusTimer) clearTimeout(this.statusTimer)
    this.suspended = true
    await this.stopWorker()
    this.results.flush()
  }

  private async stopWorker(): Promise<void> {
    const worker = this.worker
    this.worker = null
    if (!worker) return
    // Let the batch in hand commit; a worker that does not stop in time is terminated (its rows are
    // reset to pending by the next start).
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
    worker.postMessage({ type: 'stop' } satisfies BackgroundManagerMessage)
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 5000).unref())
    await Promise.race([exited, timeout])
    await worker.terminate()
  }

  private ensureWorker(): void {
    if (this.paused || this.suspended || !this.store.isOpen) return
    if (this.worker) {
      this.worker.postMessage({ type: 'wake' } satisfies BackgroundManagerMessage)
      return
    }
    const worker = spawnBackgroundWorker({ dataDir: this.dataDir, focus: this.focusId, idleMs: this.options.idleMs ?? IDLE_MS })
    this.worker = worker
    worker.on('message', (message: BackgroundWorkerMessage) => {
      if (message.type === 'results') this.results.add(message.results)
      else if (message.type === 'error') log().error('background analysis error', { error: message.message })
      // The queue drained: what is held goes out now, before the status that says so.
      if (message.type === 'idle') this.results.flush()
      this.emitStatus(message.type === 'idle')
    })
    worker.on('error', (error) => log().error('background worker failed', { error: error.message }))
    worker.on('exit', (code) => {
      this.results.flush()
      if (this.worker !== worker) return
      this.worker = null
      if (code !== 0 && this.store.isOpen) {
        // A worker that died mid-batch (a native crash on one image): those cases are marked failed,
        // so a restart does not meet the same crash again and the rest of the queue goes on.
        try {
          this.store.transaction(() =>
            this.store.queue.failRunning(`the analysis worker stopped (exit code ${code}) while analysing this case`),
          )
        } catch (error) {
          log().error('background cleanup after the worker stopped failed', { error: (error as Error).message })
        }
        this.sweep()
      }
      this.emitStatus(true)
    })
  }

  /** Status events, at most every STATUS_INTERVAL_MS (the last one always goes out). */
  private emitStatus(now = false): void {
    if (!this.store.isOpen || this.listenerCount('status') === 0) return
    const wait = now ? 0 : this.lastStatus + STATUS_INTERVAL_MS - Date.now()
    if (wait <= 0) {
      if (this.statusTimer) clearTimeout(this.statusTimer)
      this.statusTimer = null
      this.lastStatus = Date.now()
      // Held results go first: a status never counts as done a case whose results a window has not had.
      this.results.flush()
      this.emit('status', this.status())
    } else if (!this.statusTimer) {
      this.statusTimer = setTimeout(() => this.emitStatus(true), wait)
      this.statusTimer.unref()
    }
  }
}
