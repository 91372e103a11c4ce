/**
 * Model results fetched ahead for the cases beside the open one, keyed by case, model and method.
 * An entry is taken once, when its case opens: what the case view shows afterwards is always asked
 * of the server again, so a result can only be as old as the reader's stay on the neighbour.
 */
import type { HeatmapData, OodMark } from '../../../shared/domain'

export interface PrefetchedResults {
  /** Highest probability first. */
  predictions: Array<{ finding: string; probability: number }>
  /** The heatmap of the finding the case should open on as far as known ahead (the worklist filter, else the top one), or null. */
  heatmap: HeatmapData | null
  /** the model's out-of-distribution mark on the case (and the header's flag) */
  ood: OodMark | null
  oodUnavailable: string | null
}

interface Entry {
  promise: Promise<PrefetchedResults>
  value: PrefetchedResults | null
}

/** Two neighbours, and the two before them while the reader moves on. */
const LIMIT = 4

export function createResultPrefetch(limit = LIMIT) {
  const entries = new Map<string, Entry>()
  const keyOf = (caseId: number, model: string, method: string): string => `${caseId}\u0000${model}\u0000${method}`

  return {
    start(caseId: number, model: string, method: string, load: () => Promise<PrefetchedResults>): void {
      const key = keyOf(caseId, model, method)
      if (entries.has(key)) return
      const entry: Entry = { promise: load(), value: null }
      entry.promise.then(
        (value) => void (entry.value = value),
        () => entries.get(key) === entry && entries.delete(key),
      )
      entries.set(key, entry)
      for (const old of entries.keys()) {
        if (entries.size <= limit) break
        entries.delete(old)
      }
    },
    /** The entry for this case, model and method, removed: the value when it has arrived, else its promise. */
    take(caseId: number, model: string, method: string): PrefetchedResults | Promise<PrefetchedResults> | null {
      const key = keyOf(caseId, model, method)
      const entry = entries.get(key)
      if (!entry) return null
      entries.delete(key)
      return entry.value ?? entry.promise
    },
    get size(): number {
      return entries.size
    },
  }
}
