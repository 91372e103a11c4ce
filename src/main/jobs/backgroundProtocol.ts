/** Messages between the background analysis controller (main thread) and its worker. */
import type { BackgroundResults } from '../../shared/background'
import type { PreprocessSpec } from '../model/preprocess'

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

/** From the background worker to its decoder thread. */
export type DecoderRequest =
  | { type: 'decode'; id: number; path: string; name: string; spec: PreprocessSpec }
  /** How many images may decode at once (see ImageDecoder.pace). */
  | { type: 'pace'; inFlight: 1 | 2 }

/** From the decoder thread: one answer per request id (the tensor's buffer is transferred). */
export type DecoderAnswer = { type: 'decoded'; id: number; tensor: Float32Array } | { type: 'failed'; id: number; reason: string }
