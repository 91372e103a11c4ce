import { sha256Of } from '../model/hashing'
import type { CaseStore } from '../store/caseStore'
import { ByteBudget } from './byteBudget'
import { reasonOf } from './failureReason'
import { FileRefusedError, MAX_FILE_BYTES, readRegularFile, regularFileSize } from './regularFile'
import { ImportCancelledError, type ImportHooks, type ImportItem, type ImportSource, type ImportTally } from './importSource'

/** Items committed per transaction: few enough that a commit is quick, many enough that fsyncs are rare. */
export const IMPORT_BATCH = 24
/** Image file bytes held at once by the decoders together (each file is at most MAX_FILE_BYTES). */
export const IN_FLIGHT_BYTES = 2 * MAX_FILE_BYTES
const DEFAULT_CONCURRENCY = 6

type Outcome<P> =
  | { kind: 'new'; sha256: string; prepared: P }
  | { kind: 'stored'; sha256: string } // the same bytes are stored already, or earlier in this import
  | { kind: 'failed'; reason: string }

interface Done<M, P> {
  item: ImportItem<M>
  outcome: Outcome<P>
}

function emptyTally(): ImportTally {
  // Key order is the CLI's --json field order: keep it.
  return {
    scanned: 0,
    imported: 0,
    duplicates: 0,
    failed: [],
    missing: [],
    unlabelled: [],
    labelsAdded: 0,
    boxesAdded: 0,
    boxesSkipped: [],
    seconds: 0,
    imagesPerSecond: 0,
    warnings: [],
  }
}

function iterate<T>(items: Iterable<T> | AsyncIterable<T>): () => Promise<IteratorResult<T>> {
  if (Symbol.asyncIterator in items) {
    const it = items[Symbol.asyncIterator]()
    return () => it.next() // an async generator queues concurrent next() calls itself
  }
  const it = items[Symbol.iterator]()
  return async () => it.next()
}

async function readItem(
  item: ImportItem,
  budget: ByteBudget,
  cost: (size: number) => number,
): Promise<{ bytes: Uint8Array; held: number }> {
  if (item.bytes) {
    if (item.bytes.length === 0) throw new FileRefusedError(item.name, 'is empty')
    if (item.bytes.length > MAX_FILE_BYTES)
      throw new FileRefusedError(item.name, `larger than the ${MAX_FILE_BYTES / 1024 / 1024} MiB limit`)
    const held = cost(item.bytes.length)
    await budget.take(held)
    return { bytes: item.bytes, held }
  }
  if (item.path === undefined) throw new FileRefusedError(item.name, 'has neither a path nor bytes')
  const held = cost(await regularFileSize(item.path, { name: item.name }))
  await budget.take(held)
  try {
    return { bytes: await readRegularFile(item.path, { name: item.name, maxBytes: MAX_FILE_BYTES }), held }
  } catch (error) {
    budget.give(held)
    throw error
  }
}

/**
 * The one import pipeline. A continuous pool of decoders pulls items from the source (bounded by
 * the byte budget, so six large files never sit in memory at once); every `batchSize` finished
 * items commit in one transaction while the others keep decoding, so a corrupt file or a cancel
 * never loses the rest. The content hash makes re-imports add nothing twice, and two copies of the
 * same bytes in one import are decoded once. A closing transaction runs the source's settle step
 * (boxes) and writes the audit row, also when cancelled, so every committed case is accounted for.
 */
export async function runImport<M, P>(store: CaseStore, source: ImportSource<M, P>, hooks: ImportHooks = {}): Promise<ImportTally> {
  const started = performance.now()
  const summary = emptyTally()
  try {
    const listing = source.list(summary)
    const next = iterate(listing.items)
    const budget = new ByteBudget(IN_FLIGHT_BYTES)
    const cost = (size: number) => source.cost?.(size) ?? size
    const batchSize = Math.max(1, hooks.batchSize ?? IMPORT_BATCH)
    const concurrency = Math.max(1, hooks.concurrency ?? source.concurrency ?? DEFAULT_CONCURRENCY)
    /** hash → whether its first copy in this import prepared: a later copy waits for it instead of decoding again */
    const claimed = new Map<string, Promise<boolean>>()
    let pulled = 0
    let done = 0
    let pending: Array<Done<M, P>> = []
    let broken: unknown = null // a failed commit stops the pool; rethrown once every decoder has stopped

    /**
     * Reads, hashes and prepares one item. A first copy of some bytes returns `release`, which the
     * pool calls once the item is queued for commit: a later copy waiting on it then queues after it
     * (so it finds the case) or, when the first failed, prepares itself.
     */
    const decodeOne = async (item: ImportItem<M>): Promise<{ outcome: Outcome<P>; release?: (prepared: boolean) => void }> => {
      let held = 0
      let release: ((prepared: boolean) => void) | undefined
      try {
        const read = await readItem(item, budget, cost)
        held = read.held
        const refused = source.refuse?.(read.bytes, item)
        if (refused) return { outcome: { kind: 'failed', reason: refused } }
        const sha256 = sha256Of(read.bytes)
        if (store.cases.findBySha(sha256)) return { outcome: { kind: 'stored', sha256 } }
        const first = claimed.get(sha256)
        if (first && (await first)) return { outcome: { kind: 'stored', sha256 } }
        claimed.set(sha256, new Promise<boolean>((resolve) => (release = resolve)))
        const prepared = await source.prepare(read.bytes, sha256, item)
        return { outcome: { kind: 'new', sha256, prepared }, release }
      } catch (error) {
        release?.(false)
        return { outcome: { kind: 'failed', reason: reasonOf(error, item.name) } }
      } finally {
        if (held) budget.give(held)
      }
    }

    const commit = (batch: Array<Done<M, P>>) =>
      store.transaction(() => {
        for (const { item, outcome } of batch) {
          if (outcome.kind === 'failed') {
            summary.failed.push({ name: item.name, reason: outcome.reason })
            continue
          }
          let caseId = store.cases.findBySha(outcome.sha256)?.id // also catches another process importing the same file meanwhile
          if (caseId !== undefined) summary.duplicates++
          else if (outcome.kind === 'new') {
            caseId = source.insert(store, outcome.prepared, outcome.sha256, item, summary)
            summary.imported++
          } else {
            // A copy queues after its first, which prepared, so the case is found above; should that
            // case be gone (removed by another process meanwhile), say so rather than guess.
            summary.failed.push({
              name: item.name,
              reason: 'the case of the same content, stored moments ago, is no longer there; import again',
            })
            continue
          }
          source.attach?.(store, caseId, item, summary)
        }
      })

    const flush = () => {
      if (pending.length === 0 || broken) return
      const batch = pending
      pending = []
      try {
        commit(batch)
      } catch (error) {
        broken = error
        return
      }
      done += batch.length
      const total = listing.total ?? pulled
      hooks.onProgress?.(done, total, `${done} of ${total} ${source.unit} (${summary.failed.length} failed)`)
    }

    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (!hooks.signal?.aborted && !broken) {
          const step = await next()
          if (step.done) return
          pulled++
          const { outcome, release } = await decodeOne(step.value)
          pending.push({ item: step.value, outcome }) // after the await: `pending` may have been flushed and replaced meanwhile
          release?.(true)
          if (pending.length >= batchSize) flush()
        }
      }),
    )
    flush()
    if (broken) throw broken
    const cancelled = hooks.signal?.aborted ?? false
    store.transaction(() => {
      source.settle?.(store, summary, cancelled, hooks.actor ?? 'system')
      summary.seconds = (performance.now() - started) / 1000
      const processed = summary.imported + summary.duplicates + summary.failed.length
      summary.imagesPerSecond = summary.seconds > 0 ? processed / summary.seconds : 0
      const { action, detail } = source.audit(summary, cancelled)
      store.audit.append(hooks.actor ?? 'system', action, null, cancelled ? { ...detail, cancelled: true } : detail)
    })
    if (cancelled) throw new ImportCancelledError(summary)
    return summary
  } finally {
    source.close?.()
  }
}
