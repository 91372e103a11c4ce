/**
 * Reads one slice of a hand-written store: the component re-renders only when the slice changes
 * (compared shallowly), not on every update of the store. The side panel's many MUI components
 * would otherwise render again for every step of a case opening.
 */
import { useRef, useSyncExternalStore } from 'react'

interface ReadableStore<S> {
  subscribe(listener: () => void): () => void
  getState(): S
}

/** Equal when both are the same value, or objects (or arrays) with the same keys and identical values. */
export function shallowEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false
  const keysA = Object.keys(a)
  if (keysA.length !== Object.keys(b).length) return false
  return keysA.every(
    (key) =>
      Object.prototype.hasOwnProperty.call(b, key) && Object.is((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  )
}

/**
 * Keeps the previous slice when the new one is shallowly equal, so useSyncExternalStore sees the
 * same snapshot and skips the render. Pure apart from its cache: exported for tests.
 */
export function createSliceReader<S, T>(getState: () => S) {
  let cache: { state: S; slice: T } | null = null
  return (select: (state: S) => T): T => {
    const state = getState()
    if (cache && cache.state === state) return cache.slice
    const slice = select(state)
    cache = { state, slice: cache && shallowEqual(cache.slice, slice) ? cache.slice : slice }
    return cache.slice
  }
}

export function useStoreSelector<S, T>(store: ReadableStore<S>, select: (state: S) => T): T {
  const reader = useRef<{ store: ReadableStore<S>; read: (select: (state: S) => T) => T } | null>(null)
  if (reader.current?.store !== store) reader.current = { store, read: createSliceReader<S, T>(() => store.getState()) }
  const { read } = reader.current
  return useSyncExternalStore(store.subscribe, () => read(select))
}
