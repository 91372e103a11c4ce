/** Messages between the job manager (main thread) and a job worker. */
import type { JobKind, JobRequestOf } from '../../shared/jobs'

export type { JobKind }

export interface JobInput<K extends JobKind = JobKind> {
  jobId: string
  kind: K
  dataDir: string
  payload: JobRequestOf<K>
}

export type WorkerMessage =
  | { type: 'progress'; done: number; total: number; message: string }
  | { type: 'done'; result: unknown }
  | { type: 'failed'; message: string; cancelled: boolean; partial?: unknown }

export type ManagerMessage = { type: 'cancel' }
