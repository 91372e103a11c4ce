/** Background analysis: what the queue reports and what the UI asks of it (types only, no runtime). */
import type { OodMark, WorklistQuery } from './domain'
import type { ExplainMethod } from './explainMethods'

export interface BackgroundCounts {
  pending: number
  running: number
  done: number
  failed: number
}

export interface BackgroundStatus extends BackgroundCounts {
  /** Paused by a user: nothing new is started until resumed (queued rows stay). */
  paused: boolean
  /** A worker is up (loading the model or analysing). */
  active: boolean
  /** Progress of the current run of work: since the queue was last empty. */
  run: { done: number; failed: number; total: number }
  /** What new imports get: the default model and Grad-CAM; null when no model is installed. */
  target: { model: string; version: string; method: ExplainMethod } | null
  /** The most recent failures, newest first, each with its reason. */
  failures: Array<{ caseId: number; image: string; reason: string }>
}

/** "Analyse all / selected / filtered cases": one request; the server resolves the cases. */
export type BackgroundScope = { kind: 'all' } | { kind: 'cases'; caseIds: number[] } | { kind: 'filter'; filter: WorklistQuery }

export interface BackgroundRequest {
  scope: BackgroundScope
  model?: string
  version?: string
  method?: ExplainMethod
}

/** Pushed as results land: the worklist patches its rows, the open case reloads its map. */
export interface BackgroundResults {
  model: { id: string; version: string }
  method: ExplainMethod
  cases: Array<{ caseId: number; topFindings: Array<{ finding: string; probability: number }>; ood: OodMark | null }>
}
