import { describe, expect, it } from 'vitest'
import { createLruCache } from '../../src/renderer/src/stores/lruCache'
import { createResultPrefetch, type PrefetchedResults } from '../../src/renderer/src/stores/resultPrefetch'
import { createSliceReader, shallowEqual } from '../../src/renderer/src/hooks/useStoreSelector'

class Bitmap {
  closed = false
  constructor(readonly key: number) {}
  close(): void {
    this.closed = true
  }
}

/** A loader whose loads finish when the test says so. */
function controlledLoader() {
  const pending = new Map<number, { resolve: (b: Bitmap) => void; reject: (e: Error) => void }>()
  const calls: number[] = []
  const load = (key: number) =>
    new Promise<Bitmap>((resolve, reject) => {
      calls.push(key)
      pending.set(key, { resolve, reject })
    })
  const finish = async (key: number) => {
    pending.get(key)!.resolve(new Bitmap(key))
    await Promise.resolve()
  }
  return { load, finish, calls, fail: (key: number) => pending.get(key)!.reject(new Error(`cannot load ${key}`)) }
}

const flush = () => new Promise((r) => setTimeout(r, 0))

describe('LRU cache of closable values', () => {
  it('loads once, evicts the least recently used beyond capacity and closes it', async () => {
    const cache = createLruCache((key: number) => Promise.resolve(new Bitmap(key)), 2)
    const one = await cache.get(1)
    const two = await cache.get(2)
    expect(await cache.get(1)).toBe(one) // 1 is now the most recent
    await cache.get(3)
    expect(two.closed).toBe(true)
    expect(one.closed).toBe(false)
    expect(cache.peek(2)).toBeNull()
    expect(cache.peek(1)).toBe(one)
    expect(cache.size).toBe(2)
  })

  it('never evicts a pinned key; releasing the pin lets it go', async () => {
    const cache = createLruCache((key: number) => Promise.resolve(new Bitmap(key)), 1)
    const shown = await cache.get(1)
    const unpin = cache.pin(1)
    await cache.get(2)
    expect(shown.closed).toBe(false)
    expect(cache.size).toBe(2)
    unpin()
    unpin() // a second release changes nothing
    expect(shown.closed).toBe(true)
    expect(cache.size).toBe(1)
  })

  it('does not close a value evicted while loading (its caller keeps a usable one), and peeks nothing in flight', async () => {
    const loader = controlledLoader()
    const cache = createLruCache(loader.load, 1)
    const first = cache.get(1)
    expect(cache.peek(1)).toBeNull()
    cache.prefetch(2)
    await loader.finish(1)
    expect((await first).closed).toBe(false)
    expect(cache.has(1)).toBe(false)
  })

  it('forgets a failed load so the next get tries again, and shares one load between callers', async () => {
    const loader = controlledLoader()
    const cache = createLruCache(loader.load, 3)
    const a = cache.get(7)
    const b = cache.get(7)
    loader.fail(7)
    await expect(a).rejects.toThrow(/cannot load 7/)
    await expect(b).rejects.toThrow(/cannot load 7/)
    expect(cache.has(7)).toBe(false)
    const again = cache.get(7)
    await loader.finish(7)
    expect((await again).key).toBe(7)
    expect(loader.calls).toEqual([7, 7])
    expect(() => createLruCache(loader.load, 0)).toThrow(/capacity must be at least 1/)
  })

  it('clear() closes everything it holds', async () => {
    const cache = createLruCache((key: number) => Promise.resolve(new Bitmap(key)), 3)
    const values = [await cache.get(1), await cache.get(2)]
    cache.clear()
    expect(values.every((v) => v.closed)).toBe(true)
    expect(cache.size).toBe(0)
  })
})

describe('prefetched model results', () => {
  const results = (finding: string): PrefetchedResults => ({
    predictions: [{ finding, probability: 0.9 }],
    heatmap: null,
    ood: null,
    oodUnavailable: null,
  })

  it('is taken once, by case, model and method: the value once arrived, else the promise', async () => {
    const prefetch = createResultPrefetch()
    prefetch.start(1, 'm@1', 'gradcam', () => Promise.resolve(results('Mass')))
    prefetch.start(2, 'm@1', 'gradcam', () => new Promise(() => undefined))
    await flush()
    expect(prefetch.take(1, 'm@1', 'eigencam')).toBeNull()
    expect(prefetch.take(1, 'm@1', 'gradcam')).toEqual(results('Mass'))
    expect(prefetch.take(1, 'm@1', 'gradcam')).toBeNull()
    expect(prefetch.take(2, 'm@1', 'gradcam')).toBeInstanceOf(Promise)
  })

  it('keeps the newest entries only, starts each once, and drops failures', async () => {
    const prefetch = createResultPrefetch(2)
    let loads = 0
    for (const caseId of [1, 2, 3, 3]) prefetch.start(caseId, 'm@1', 'gradcam', () => (loads++, Promise.resolve(results('Mass'))))
    expect(loads).toBe(3)
    expect(prefetch.size).toBe(2)
    expect(prefetch.take(1, 'm@1', 'gradcam')).toBeNull()
    prefetch.start(9, 'm@1', 'gradcam', () => Promise.reject(new Error('offline')))
    await flush()
    expect(prefetch.take(9, 'm@1', 'gradcam')).toBeNull()
  })
})

describe('store slices', () => {
  it('compares one level deep', () => {
    const list = [1]
    expect(shallowEqual({ a: 1, b: list }, { a: 1, b: list })).toBe(true)
    expect(shallowEqual({ a: 1, b: [1] }, { a: 1, b: [1] })).toBe(false)
    expect(shallowEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false)
    expect(shallowEqual([1, 2], [1, 2])).toBe(true)
    expect(shallowEqual([1], { 0: 1 })).toBe(false)
    expect(shallowEqual(null, {})).toBe(false)
    expect(shallowEqual(NaN, NaN)).toBe(true)
  })

  it('returns the same slice object while the selected fields are unchanged (so React skips the render)', () => {
    let state = { heatmap: 'map', opacity: 0.5, other: 1 }
    const read = createSliceReader(() => state)
    const select = (s: typeof state) => ({ heatmap: s.heatmap, opacity: s.opacity })
    const first = read(select)
    state = { ...state, other: 2 }
    expect(read(select)).toBe(first)
    state = { ...state, opacity: 0.6 }
    const next = read(select)
    expect(next).not.toBe(first)
    expect(next).toEqual({ heatmap: 'map', opacity: 0.6 })
  })
})
