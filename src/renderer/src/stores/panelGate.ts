/**
 * Holds the reading panel back while a case opens, so the main thread's time between the click and
 * the image and heatmap on screen goes to them. The panel's store reads go through gatedStore: its
 * MUI parts subscribe to the analysis and heatmap-edit stores directly, and a store update renders
 * its subscribers synchronously (useSyncExternalStore cannot be deferred), which cost tens of ms of
 * each opening (issue 17's profiles). The gate is held at the click and released once the canvas
 * shows the case's image and map, after that frame is painted; a case that gets no map is let go
 * a little after its image, and a hold never outlasts MAX_HOLD_MS (an image that fails, say).
 */

export interface PanelGate {
  /** A case is being opened: gated reads keep what they had until release. */
  hold(): void
  /** The canvas shows the case: gated readers catch up, after the frame being drawn is painted. */
  release(): void
  /** The image is drawn but the map may not come: release after `graceMs` unless released before. */
  releaseSoon(graceMs?: number): void
  readonly held: boolean
  /** Called on every hold and release (for useSyncExternalStore). */
  subscribe(listener: () => void): () => void
}

export const MAX_HOLD_MS = 1500
export const NO_MAP_GRACE_MS = 250

export interface GateTimers {
  setTimeout(run: () => void, ms: number): number
  clearTimeout(id: number): void
  /** Runs `run` once the frame now being drawn is painted. */
  afterPaint(run: () => void): void
}

const browserTimers: GateTimers = {
  setTimeout: (run, ms) => window.setTimeout(run, ms),
  clearTimeout: (id) => window.clearTimeout(id),
  // rAF runs before the next paint; the timeout queued from it runs after that paint.
  afterPaint: (run) => void requestAnimationFrame(() => window.setTimeout(run, 0)),
}

export function createPanelGate(timers: GateTimers = browserTimers): PanelGate {
  let held = false
  // Bumped by every hold: a release scheduled for an earlier opening does not end a later one's hold.
  let epoch = 0
  let cap: number | null = null
  let soon: number | null = null
  const listeners = new Set<() => void>()
  const notify = () => {
    for (const listener of listeners) listener()
  }
  const clear = () => {
    if (cap !== null) timers.clearTimeout(cap)
    if (soon !== null) timers.clearTimeout(soon)
    cap = soon = null
  }
  const open = (at: number) => {
    if (!held || at !== epoch) return
    held = false
    clear()
    notify()
  }
  return {
    hold() {
      const at = ++epoch
      clear()
      cap = timers.setTimeout(() => open(at), MAX_HOLD_MS)
      if (held) return
      held = true
      notify()
    },
    release() {
      const at = epoch
      if (held) timers.afterPaint(() => open(at))
    },
    releaseSoon(graceMs = NO_MAP_GRACE_MS) {
      if (!held || soon !== null) return
      const at = epoch
      soon = timers.setTimeout(() => open(at), graceMs)
    },
    get held() {
      return held
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
  }
}

interface ReadableStore<S> {
  subscribe(listener: () => void): () => void
  getState(): S
}

/**
 * `store` as the reading panel sees it: the same actions, but while the gate is held its state stays
 * what it was at the hold and its subscribers are told of changes only at the release.
 */
export function gatedStore<S, T extends ReadableStore<S>>(store: T, gate: PanelGate): T {
  let shown = store.getState()
  const listeners = new Set<() => void>()
  const catchUp = () => {
    if (gate.held) return
    const next = store.getState()
    if (next === shown) return
    shown = next
    for (const listener of listeners) listener()
  }
  let unsubscribe: (() => void) | null = null
  const subscribe = (listener: () => void) => {
    listeners.add(listener)
    if (!unsubscribe) {
      const offStore = store.subscribe(catchUp)
      const offGate = gate.subscribe(catchUp)
      unsubscribe = () => {
        offStore()
        offGate()
      }
    }
    return () => {
      listeners.delete(listener)
      if (listeners.size === 0 && unsubscribe) {
        unsubscribe()
        unsubscribe = null
      }
    }
  }
  // Unsubscribed readers have nothing to stay consistent with: they read the store itself.
  const getState = () => {
    if (!gate.held || listeners.size === 0) shown = store.getState()
    return shown
  }
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'getState') return getState
      if (key === 'subscribe') return subscribe
      return Reflect.get(target, key, receiver)
    },
  })
}
