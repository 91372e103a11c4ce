/**
 * Works the background analysis queue: claims a batch, runs the model (probabilities and every
 * finding's map in one backbone pass per batch) and marks each case done inside that case's results
 * transaction. A batch that fails is retried case by case, so one unreadable image is marked failed
 * with its reason and the others still get their results. Runs in the background worker thread;
 * tests drive it in-process.
 */
import type { BackgroundResults } from '../../shared/background'
import { isExplainMethod } from '../../shared/explainMethods'
import type { InferenceEngine } from '../model/inferenceEngine'
import type { ModelRegistry } from '../registry/modelRegistry'
import type { QueueEntry } from '../store/analysisQueueRepository'
import { oodMark } from '../store/resultRepository'
import type { CaseStore } from '../store/caseStore'
import { analyzeCases } from './analysisService'

export interface RunnerControl {
  /** The case the reader has open (analysed before anything else), or null. */
  focus(): number | null
  /** True while paused or stopping: no new batch is claimed. */
  halted(): boolean
  signal?: AbortSignal
}

export interface RunnerEvents {
  /** After every batch (done or failed), for the progress chip. */
  onProgress?(): void
  /** Cases whose results were just stored, with their top findings for the worklist. */
  onResults?(results: BackgroundResults): void
}

/** Cases per model pass once the first has been answered; the first batch of a run is a single case. */
export const BACKGROUND_BATCH = 8

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.trim() || 'analysis failed without a reason given'
}

/**
 * Claims and analyses until the queue is empty or `control` halts; returns the number of queue rows
 * finished (done or failed). The first claim takes one case, so a fresh import's first heatmap
 * comes after one model pass, not eight.
 */
export async function drainQueue(
  deps: { store: CaseStore; registry: ModelRegistry; engine: InferenceEngine },
  control: RunnerControl,
  events: RunnerEvents = {},
  batchSize = BACKGROUND_BATCH,
): Promise<number> {
  let finished = 0
  let size = 1
  while (!control.halted() && !control.signal?.aborted) {
    const batch = deps.store.transaction(() => deps.store.queue.claim(size, control.focus()))
    if (batch.length === 0) break
    size = batchSize
    finished += await analyseBatch(deps, batch, events)
    events.onProgress?.()
  }
  return finished
}

async function analyseBatch(
  deps: { store: CaseStore; registry: ModelRegistry; engine: InferenceEngine },
  batch: QueueEntry[],
  events: RunnerEvents,
): Promise<number> {
  const { modelId, modelVersion, method } = batch[0]
  if (!isExplainMethod(method)) {
    fail(deps.store, batch, `unknown explanation method ${JSON.stringify(method)}`)
    return batch.length
  }
  const rowOf = new Map(batch.map((entry) => [entry.caseId, entry.id]))
  const stored = new Set<number>()
  const run = (entries: QueueEntry[]) =>
    analyzeCases(
      deps,
      { caseIds: entries.map((e) => e.caseId), model: modelId, version: modelVersion, methods: [method] },
      {
        batchSize: entries.length,
        inTransaction: (caseId) => {
          deps.store.queue.markDone(rowOf.get(caseId)!)
          stored.add(caseId)
        },
      },
    )
  const publish = (caseIds: number[]) => {
    if (caseIds.length === 0) return
    events.onResults?.({
      model: { id: modelId, version: modelVersion },
      method,
      cases: caseIds.map((caseId) => ({
        caseId,
        topFindings: deps.store.results.predictions(caseId, modelId, modelVersion).slice(0, 3),
        ood: oodMark(deps.store.results.ood(caseId, modelId, modelVersion), deps.store.cases.get(caseId)?.acquisitionFlag ?? null),
      })),
    })
  }
  try {
    const result = await run(batch)
    publish(result.cases.map((c) => c.caseId))
  } catch (batchError) {
    if (batch.length === 1) {
      fail(deps.store, batch, reasonOf(batchError))
    } else {
      // Some case of the batch broke it: each on its own, so only that one is marked failed.
      publish(batch.filter((e) => stored.has(e.caseId)).map((e) => e.caseId))
      for (const entry of batch.filter((e) => !stored.has(e.caseId))) {
        try {
          await run([entry])
          publish([entry.caseId])
        } catch (error) {
          fail(deps.store, [entry], reasonOf(error))
        }
      }
    }
  }
  return batch.length
}

function fail(store: CaseStore, entries: QueueEntry[], reason: string): void {
  store.transaction(() => {
    for (const entry of entries) store.queue.markFailed(entry.id, reason)
  })
}
