import type { BackgroundCounts } from '../../shared/background'
import type { Db } from './database'

/** What one queue row asks for: a case's probabilities and all-findings maps of one model version and method. */
export interface QueueTarget {
  modelId: string
  modelVersion: string
  method: string
}

export interface QueueEntry extends QueueTarget {
  id: number
  caseId: number
}

/** Explicit requests ("Analyse selected / filtered / all") go before the sweep of new imports. */
export const REQUEST_PRIORITY = 10
/** Where a failure's reason is cut: it names the file and the cause, never a whole stack. */
const MAX_REASON = 500

/**
 * The persistent background analysis queue (migration 006). Callers wrap writes in the store's
 * transaction (BEGIN IMMEDIATE), one short one per step, so a reader's save never waits long.
 */
export class AnalysisQueueRepository {
  private readonly sweepStmt
  private readonly missingStmt
  private readonly enqueueStmt
  private readonly nextStmt
  private readonly claimStmt
  private readonly doneStmt
  private readonly failStmt
  private readonly resetStmt
  private readonly failRunningStmt
  private readonly countsStmt
  private readonly clearStmt
  private readonly failuresStmt
  private readonly pendingStmt
  private readonly stampStmt
  /** The target and database state at which `hasMissing` last found nothing: unchanged, the answer is the same. */
  private cleanAt: string | null = null

  constructor(db: Db) {
    // A case lacking both a queue row and a stored model map of the target: new since the last sweep
    // (an import in this process or another), or from before the queue existed.
    const missing = `FROM cases c WHERE NOT EXISTS (SELECT 1 FROM analysis_queue q WHERE q.case_id = c.id AND q.model_id = @modelId
        AND q.model_version = @modelVersion AND q.method = @method)
      AND NOT EXISTS (SELECT 1 FROM heatmaps h WHERE h.case_id = c.id AND h.model_id = @modelId AND h.model_version = @modelVersion
        AND h.method = @method AND h.edited_from IS NULL)`
    this.missingStmt = db.prepare(`SELECT EXISTS (SELECT 1 ${missing}) AS n`).pluck()
    // data_version moves when another connection (a worker, a CLI import) commits; total_changes when this one writes.
    this.stampStmt = db.prepare(`SELECT (SELECT data_version FROM pragma_data_version()) || ':' || total_changes()`).pluck()
    this.pendingStmt = db.prepare(`SELECT EXISTS (SELECT 1 FROM analysis_queue WHERE state = 'pending')`).pluck()
    this.sweepStmt = db.prepare(`INSERT OR IGNORE INTO analysis_queue (case_id, model_id, model_version, method, enqueued_at)
      SELECT c.id, @modelId, @modelVersion, @method, @at ${missing} ORDER BY c.id`)
    // An explicit request runs again even when done or failed before (a moved image put back, a new method).
    this.enqueueStmt = db.prepare(`INSERT INTO analysis_queue (case_id, model_id, model_version, method, priority, enqueued_at)
      SELECT value, @modelId, @modelVersion, @method, @priority, @at FROM json_each(@ids) WHERE value IN (SELECT id FROM cases)
      ON CONFLICT (case_id, model_id, model_version, method) DO UPDATE SET state = 'pending', reason = NULL, finished_at = NULL,
        priority = max(priority, excluded.priority), enqueued_at = excluded.enqueued_at WHERE state != 'running'`)
    // The open case first, then explicit requests, then in order of arrival.
    this.nextStmt = db.prepare(`SELECT id, case_id AS caseId, model_id AS modelId, model_version AS modelVersion, method
      FROM analysis_queue WHERE state = 'pending' ORDER BY (case_id = @focus) DESC, priority DESC, id LIMIT @limit`)
    this.claimStmt = db.prepare(`UPDATE analysis_queue SET state = 'running' WHERE id = ? AND state = 'pending'`)
    this.doneStmt = db.prepare(`UPDATE analysis_queue SET state = 'done', reason = NULL, finished_at = ? WHERE id = ?`)
    this.failStmt = db.prepare(`UPDATE analysis_queue SET state = 'failed', reason = ?, finished_at = ? WHERE id = ?`)
    this.resetStmt = db.prepare(`UPDATE analysis_queue SET state = 'pending' WHERE state = 'running'`)
    this.failRunningStmt = db.prepare(`UPDATE analysis_queue SET state = 'failed', reason = ?, finished_at = ? WHERE state = 'running'`)
    this.countsStmt = db.prepare(`SELECT
      coalesce(sum(state = 'pending'), 0) AS pending, coalesce(sum(state = 'running'), 0) AS running,
      coalesce(sum(state = 'done'), 0) AS done, coalesce(sum(state = 'failed'), 0) AS failed FROM analysis_queue`)
    this.clearStmt = db.prepare(`DELETE FROM analysis_queue WHERE state = 'pending'`)
    this.failuresStmt = db.prepare(`SELECT q.case_id AS caseId, c.image_name AS image, q.reason FROM analysis_queue q
      JOIN cases c ON c.id = q.case_id WHERE q.state = 'failed' ORDER BY q.finished_at DESC, q.id DESC LIMIT ?`)
  }

  /** True when some case has neither a queue row nor a stored map of the target (a cheap read). */
  hasMissing(target: QueueTarget): boolean {
    // The anti-join visits every case; the background poll asks every 2 s, so an unchanged database
    // (no commit here or elsewhere since it last found nothing) is answered without it.
    const at = `${target.modelId}\0${target.modelVersion}\0${target.method}\0${this.stampStmt.get() as string}`
    if (at === this.cleanAt) return false
    const missing = this.missingStmt.get(target) === 1
    this.cleanAt = missing ? null : at
    return missing
  }

  /** Whether any row waits (the index on state answers it without counting the queue). */
  hasPending(): boolean {
    return this.pendingStmt.get() === 1
  }

  /** Queues every case that has neither a row nor a stored map of the target; returns how many. */
  sweep(target: QueueTarget, at = new Date().toISOString()): number {
    return this.sweepStmt.run({ ...target, at }).changes
  }

  /** Queues the given cases (ids of no case are ignored) ahead of the sweep; returns how many rows changed. */
  enqueue(caseIds: readonly number[], target: QueueTarget, priority = REQUEST_PRIORITY, at = new Date().toISOString()): number {
    return this.enqueueStmt.run({ ...target, ids: JSON.stringify(caseIds), priority, at }).changes
  }

  /**
   * Marks up to `limit` pending rows running and returns them: all for the same target as the first
   * (one model and method per batch), the focused case first.
   */
  claim(limit: number, focus: number | null): QueueEntry[] {
    const rows = this.nextStmt.all({ focus: focus ?? -1, limit: Math.max(1, limit) * 4 }) as QueueEntry[]
    const first = rows[0]
    if (!first) return []
    const same = rows.filter((r) => r.modelId === first.modelId && r.modelVersion === first.modelVersion && r.method === first.method)
    // The open case alone: its map must not wait for a batch of others.
    const batch = focus !== null && first.caseId === focus ? [first] : same.slice(0, limit)
    return batch.filter((r) => this.claimStmt.run(r.id).changes === 1)
  }

  markDone(id: number, at = new Date().toISOString()): void {
    this.doneStmt.run(at, id)
  }

  markFailed(id: number, reason: string, at = new Date().toISOString()): void {
    this.failStmt.run(reason.slice(0, MAX_REASON), at, id)
  }

  /** Rows a stopped process left running go back to pending (the resume after a restart). */
  resetRunning(): number {
    return this.resetStmt.run().changes
  }

  /** Rows a worker had running when it died: failed with the reason, so the crash is not met again. */
  failRunning(reason: string, at = new Date().toISOString()): number {
    return this.failRunningStmt.run(reason.slice(0, MAX_REASON), at).changes
  }

  /** Drops every pending row (Cancel); done, failed and running rows stay. */
  clearPending(): number {
    return this.clearStmt.run().changes
  }

  counts(): BackgroundCounts {
    return this.countsStmt.get() as BackgroundCounts
  }

  failures(limit = 20): Array<{ caseId: number; image: string; reason: string }> {
    return this.failuresStmt.all(limit) as Array<{ caseId: number; image: string; reason: string }>
  }
}
