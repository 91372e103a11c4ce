import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { Worker } from 'node:worker_threads'
import type { JobProgress } from '../../shared/domain'
import type { JobKind, JobRequestOf, JobResultOf, JobStatus, JobStatusOf } from '../../shared/jobs'
import type { JobInput, WorkerMessage } from './jobProtocol'
import { log } from '../logging/log'
import { startWorkerThread } from './workerEntry'

export interface JobEvents {
  progress: [JobProgress]
  finished: [JobStatus]
}

/** Emits at most this often per job: progress is for eyes, not for accounting. */
const PROGRESS_INTERVAL_MS = 100

/** The job's thread: jobWorker's bundled file or its source (workerEntry.ts, as the background worker starts). */
const spawnWorker = (input: JobInput): Worker => startWorkerThread('jobWorker', input)

/** Runs long work in worker threads and streams `{jobId, done, total, message}` with cancel. */
export class JobManager extends EventEmitter<JobEvents> {
  private readonly jobs = new Map<string, { status: JobStatusOf<JobKind>; worker: Worker; lastEmit: number }>()

  constructor(private readonly dataDir: string) {
    super()
  }

  /** The request is the job map's for `kind`; its result arrives typed by kind in 'finished' and get(). */
  start<K extends JobKind>(kind: K, payload: JobRequestOf<K>): string {
    const jobId = randomUUID()
    const worker = spawnWorker({ jobId, kind, dataDir: this.dataDir, payload } as JobInput)
    const status: JobStatusOf<K> = { jobId, kind, state: 'running', done: 0, total: 0, message: 'starting' }
    const job = { status, worker, lastEmit: 0 }
    this.jobs.set(jobId, job)
    log().info('job started', { jobId, kind })
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') {
        Object.assign(status, { done: message.done, total: message.total, message: message.message })
        const now = Date.now()
        if (now - job.lastEmit >= PROGRESS_INTERVAL_MS || message.done === message.total) {
          job.lastEmit = now
          this.emit('progress', { jobId, done: status.done, total: status.total, message: status.message })
        }
      } else if (message.type === 'done') {
        // The worker ran this kind's runner, which `satisfies` the job map: the result is of this kind.
        this.finish(status, { state: 'succeeded', result: message.result as JobResultOf<K>, message: 'finished' })
      } else {
        this.finish(status, {
          state: message.cancelled ? 'cancelled' : 'failed',
          error: message.message,
          result: message.partial as JobResultOf<K> | undefined,
          message: message.message,
        })
      }
    })
    worker.on('error', (error) => this.finish(status, { state: 'failed', error: error.message, message: error.message }))
    worker.on('exit', (code) => {
      if (status.state === 'running')
        this.finish(status, { state: 'failed', error: `worker exited with code ${code}`, message: 'worker stopped' })
    })
    return jobId
  }

  get(jobId: string): JobStatus | undefined {
    // Each entry's kind and result were set together by start<K>: the pair is one member of the union.
    return this.jobs.get(jobId)?.status as JobStatus | undefined
  }

  /** Kinds of the jobs still running (a restore waits until there are none). */
  running(): string[] {
    return [...this.jobs.values()].filter((job) => job.status.state === 'running').map((job) => job.status.kind)
  }

  cancel(jobId: string): boolean {
    const job = this.jobs.get(jobId)
    if (!job || job.status.state !== 'running') return false
    job.worker.postMessage({ type: 'cancel' })
    return true
  }

  /** Resolves when the job leaves the running state. */
  wait(jobId: string): Promise<JobStatus> {
    const status = this.get(jobId)
    if (!status) return Promise.reject(new Error(`no job ${jobId}`))
    if (status.state !== 'running') return Promise.resolve(status)
    return new Promise((resolve) => {
      const onFinished = (finished: JobStatus) => {
        if (finished.jobId !== jobId) return
        this.off('finished', onFinished)
        resolve(finished)
      }
      this.on('finished', onFinished)
    })
  }

  async close(): Promise<void> {
    await Promise.all([...this.jobs.values()].map((job) => job.worker.terminate()))
  }

  private finish<K extends JobKind>(status: JobStatusOf<K>, update: Partial<JobStatusOf<K>>): void {
    if (status.state !== 'running') return
    Object.assign(status, update)
    // Kind and state only, and the error's scrubbed text: a job's payload names user folders.
    const state = status.state as JobStatus['state']
    if (state === 'failed') log().error('job failed', { jobId: status.jobId, kind: status.kind, error: status.error ?? null })
    else log().info('job finished', { jobId: status.jobId, kind: status.kind, state })
    this.emit('finished', { ...status } as JobStatus)
  }
}
