/** Messages between the job manager (main thread) and a job worker. */
export interface JobInput {
  jobId: string
  kind: JobKind
  dataDir: string
  payload: unknown
}

export type JobKind = 'import' | 'importDicom' | 'analyze' | 'train'

export type WorkerMessage =
  | { type: 'progress'; done: number; total: number; message: string }
  | { type: 'done'; result: unknown }
  | { type: 'failed'; message: string; cancelled: boolean; partial?: unknown }

export type ManagerMessage = { type: 'cancel' }
