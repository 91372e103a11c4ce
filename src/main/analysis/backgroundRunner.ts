/**
 * Works the background analysis queue: claims a batch, runs the model (probabilities and every
 * finding's map in one backbone pass per batch) and marks its cases done inside the batch's results
 * transaction, while the next batch's images decode. An image that cannot be read or decoded is
 * marked failed with its reason and the others still get their results; a batch the model or a
 * method fails is retried case by case. Runs in the background worker thread;
 * tests drive it in-process.
 */
import type { BackgroundResults } from '../../shared/background'
import { isExplainMethod } from '../../shared/explainMethods'
import type { InferenceEngine } from '../model/inferenceEngine'
import type { ModelRegistry } from '../registry/modelRegistry'
import type { QueueEntry } from '../store/analysisQueueRepository'
import { oodMark } from '../store/resultRepository'
import type { CaseStore } from '../store/caseStore'
import { analyzeInferred, planAnalysis, type AnalysisPlan } from './analysisService'
import { ModelInputCache } from '../cases/modelInputCache'
import { inferPrepared, prepareCases, type ImageDecoder, type PreparedCase } from './preparedBatch'

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

/**
 * Cases per model pass once the first has been answered; the first batch of a run is a single case.
 * Four, not more: on CPU a larger batch is no faster per case, while onnxruntime's activations, the
 * decoded inputs of this batch and of the one decoding ahead all grow with it (8 peaked about 35 MB
 * higher in npm run bench:memory).
 */
export const BACKGROUND_BATCH = 4
/**
 * Cases per model pass when onnxruntime runs on several threads: its threads split each operator of
 * a pass, and a larger batch gives each more to do per operator. The kept model inputs are small (a
 * 192² input is 430 KB as a tensor), so the batch costs mainly onnxruntime's activations, held for
 * as long as the worker lives: bench:memory peaked at 342 MB with 4, 355 MB with 6 and 387 MB with 8
 * over 400 images, and at 403 MB with 8 over all 1,716 (over the 400 MB a workstation allows).
 */
export const BACKGROUND_BATCH_THREADED = 6

/**
 * `decoder`: where images decode (default: in this thread, as the CLI does); `kept`: the model inputs
 * the import kept (read instead of decoding; default: the store's data folder's).
 */
type Deps = { store: CaseStore; registry: ModelRegistry; engine: InferenceEngine; decoder?: ImageDecoder; kept?: ModelInputCache | null }

/** A claimed batch on its way: its model, and its images being decoded (or why it cannot run at all). */
interface Claimed {
  entries: QueueEntry[]
  ready: Promise<{ plan: AnalysisPlan; cases: PreparedCase[] } | { refused: string }>
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.trim() || 'analysis failed without a reason given'
}

/** Resolves the batch's model and method and starts decoding its images; never rejects. */
function startBatch(deps: Deps, entries: QueueEntry[]): Claimed {
  const { modelId, modelVersion, method } = entries[0]
  const ready = (async () => {
    if (!isExplainMethod(method)) return { refused: `unknown explanation method ${JSON.stringify(method)}` }
    let plan: AnalysisPlan
    try {
      plan = planAnalysis(deps, { caseIds: entries.map((e) => e.caseId), model: modelId, version: modelVersion, methods: [method] })
    } catch (error) {
      return { refused: reasonOf(error) }
    }
    const kept = deps.kept === undefined ? ModelInputCache.ofDatabase(deps.store.path) : deps.kept
    return { plan, cases: await prepareCases(deps.store, plan.pkg, entries, deps.decoder, kept) }
  })()
  return { entries, ready }
}

/**
 * Claims and analyses until the queue is empty or `control` halts; returns the number of queue rows
 * finished (done or failed). The first claim takes one case, so a fresh import's first heatmap
 * comes after one model pass, not eight. One batch ahead is claimed and decoding while the model
 * runs (the batch in hand when halted is finished, as is that one).
 */
export async function drainQueue(
  deps: Deps,
  control: RunnerControl,
  events: RunnerEvents = {},
  batchSize = BACKGROUND_BATCH,
): Promise<number> {
  const claim = (size: number): Claimed | null => {
    if (control.halted() || control.signal?.aborted) return null
    const entries = deps.store.transaction(() => deps.store.queue.claim(size, control.focus()))
    return entries.length ? startBatch(deps, entries) : null
  }
  let finished = 0
  let current = claim(1)
  while (current) {
    // Nothing runs the model while it waits for this batch's images: two may decode at once. Once
    // they are in, the next batch decodes one image at a time beside the model, a core each.
    deps.decoder?.pace?.(2)
    const ready = await current.ready
    deps.decoder?.pace?.(1)
    const next = claim(batchSize)
    finished += await analyseBatch(deps, current.entries, ready, events)
    events.onProgress?.()
    current = next
  }
  return finished
}

async function analyseBatch(deps: Deps, entries: QueueEntry[], ready: Awaited<Claimed['ready']>, events: RunnerEvents): Promise<number> {
  if ('refused' in ready) {
    fail(
      deps.store,
      entries.map((e) => [e, ready.refused]),
    )
    return entries.length
  }
  const { plan, cases } = ready
  fail(
    deps.store,
    cases.filter((c) => c.tensor === null).map((c) => [c.entry, c.reason!]),
  )
  const good = cases.filter((c): c is PreparedCase & { tensor: Float32Array } => c.tensor !== null)
  const { id: modelId, version: modelVersion } = plan.pkg.manifest
  const publish = (caseIds: number[]) => {
    if (caseIds.length === 0) return
    events.onResults?.({
      model: { id: modelId, version: modelVersion },
      method: plan.request.methods[0],
      cases: caseIds.map((caseId) => ({
        caseId,
        topFindings: deps.store.results.predictions(caseId, modelId, modelVersion).slice(0, 3),
        ood: oodMark(deps.store.results.ood(caseId, modelId, modelVersion), deps.store.cases.get(caseId)?.acquisitionFlag ?? null),
      })),
    })
  }
  const run = async (some: typeof good) => {
    const rowOf = new Map(some.map((c) => [c.entry.caseId, c.entry.id]))
    const batch = await inferPrepared(deps.engine, plan.pkg, some)
    const stored = await analyzeInferred(deps, plan, batch, { inTransaction: (caseId) => deps.store.queue.markDone(rowOf.get(caseId)!) })
    publish(stored.map((c) => c.caseId))
  }
  if (good.length === 0) return entries.length
  try {
    await run(good)
  } catch (batchError) {
    if (good.length === 1) fail(deps.store, [[good[0].entry, reasonOf(batchError)]])
    else {
      // Some case of the batch broke it (nothing of the batch was stored): each on its own, so only that one is failed.
      for (const one of good) {
        try {
          await run([one])
        } catch (error) {
          fail(deps.store, [[one.entry, reasonOf(error)]])
        }
      }
    }
  }
  return entries.length
}

/** Marks each entry failed with its reason, in one transaction. */
function fail(store: CaseStore, failures: Array<[QueueEntry, string]>): void {
  if (failures.length === 0) return
  store.transaction(() => {
    for (const [entry, reason] of failures) store.queue.markFailed(entry.id, reason)
  })
}
