/** Messages between the background analysis controller (main thread) and its worker. */
import type { BackgroundResults } from '../../shared/background'

export interface BackgroundWorkerInput {
  dataDir: string
  focus: number | null
  /** How long an idle worker waits for more work before it exits (closing its model and database). */
  idleMs: number
}

export type BackgroundManagerMessage =
  | { type: 'focus'; caseId: number | null }
  /** New rows were queued: claim again. */
  | { type: 'wake' }
  /** Finish the batch in hand, then exit (pause, shutdown, a restore). */
  | { type: 'stop' }

export type BackgroundWorkerMessage =
  | { type: 'ready' }
  | { type: 'progress' }
  | { type: 'results'; results: BackgroundResults }
  | { type: 'idle' }
  | { type: 'error'; message: string }
