/**
 * A small least-recently-used cache of loaded resources that own memory outside the JS heap
 * (decoded ImageBitmaps: 4 MB for a 1024² image, 36 MB for 3000²), so an evicted value is closed
 * at once rather than left to the garbage collector. Pinned keys (the case on screen) are never
 * evicted. A load still in flight when its key is evicted is not closed: whoever awaits it keeps a
 * usable value, and nothing else can reach it afterwards.
 */
export interface Closable {
  close(): void
}

interface Entry<V> {
  promise: Promise<V>
  value: V | null
  evicted: boolean
}

export type LruCache<K, V extends Closable> = ReturnType<typeof createLruCache<K, V>>

export function createLruCache<K, V extends Closable>(load: (key: K) => Promise<V>, capacity: number) {
  if (!(capacity >= 1)) throw new Error(`LRU capacity must be at least 1, got ${capacity}`)
  const entries = new Map<K, Entry<V>>()
  const pins = new Map<K, number>()

  /** Oldest first; the key just asked for stays even when pins keep the cache over capacity. */
  function evictOverflow(keep?: K): void {
    for (const [key, entry] of entries) {
      if (entries.size <= capacity) return
      if (pins.has(key) || key === keep) continue
      entries.delete(key)
      entry.evicted = true
      entry.value?.close()
    }
  }

  function start(key: K): Entry<V> {
    const entry = { value: null, evicted: false } as Entry<V>
    entry.promise = load(key).then(
      (value) => {
        if (!entry.evicted) entry.value = value
        return value
      },
      (error: unknown) => {
        // A failed load is forgotten, so the next request tries again.
        if (entries.get(key) === entry) entries.delete(key)
        throw error
      },
    )
    return entry
  }

  return {
    /** The value for `key`, loading it when absent; marks it most recently used. */
    get(key: K): Promise<V> {
      const entry = entries.get(key) ?? start(key)
      entries.delete(key)
      entries.set(key, entry)
      evictOverflow(key)
      return entry.promise
    },
    /** Starts a load in the background; a failure is dropped and the next get() tries again. */
    prefetch(key: K): void {
      if (entries.has(key)) return
      this.get(key).catch(() => undefined)
    },
    /** The loaded value, without waiting or loading; null while absent or in flight. */
    peek(key: K): V | null {
      return entries.get(key)?.value ?? null
    },
    has(key: K): boolean {
      return entries.has(key)
    },
    /** Keeps `key` from eviction until the returned function is called. */
    pin(key: K): () => void {
      pins.set(key, (pins.get(key) ?? 0) + 1)
      let released = false
      return () => {
        if (released) return
        released = true
        const left = (pins.get(key) ?? 1) - 1
        if (left > 0) pins.set(key, left)
        else pins.delete(key)
        evictOverflow()
      }
    },
    get size(): number {
      return entries.size
    },
    /** Closes every loaded value (the app is going away). */
    clear(): void {
      for (const entry of entries.values()) {
        entry.evicted = true
        entry.value?.close()
      }
      entries.clear()
    },
  }
}
