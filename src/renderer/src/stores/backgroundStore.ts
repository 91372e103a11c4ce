/**
 * The background analysis queue as the UI sees it: its status (pushed as 'background:status', read
 * once on start) for the progress chip. Results ('background:results') are applied by App to the
 * worklist rows and the open case.
 */
import type { CxrApi } from '../../../shared/api'
import type { BackgroundStatus } from '../../../shared/background'
import { errorMessage } from '../apiContext'

export interface BackgroundState {
  status: BackgroundStatus | null
  error: string | null
}

export type BackgroundStore = ReturnType<typeof createBackgroundStore>

export function createBackgroundStore(api: CxrApi) {
  let state: BackgroundState = { status: null, error: null }
  const listeners = new Set<() => void>()
  const update = (patch: Partial<BackgroundState>) => {
    state = { ...state, ...patch }
    for (const listener of listeners) listener()
  }
  const guard = async (call: () => Promise<unknown>) => {
    try {
      await call()
    } catch (error) {
      update({ error: errorMessage(error) })
    }
  }
  return {
    subscribe(listener: () => void): () => void {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    getState: (): BackgroundState => state,
    /** Starts following the queue; returns the unsubscribe. */
    follow(): () => void {
      const off = api.on('background:status', (status) => update({ status, error: null }))
      void guard(async () => update({ status: await api.background.status({}) }))
      return off
    },
    setPaused: (paused: boolean) => guard(async () => update({ status: await api.background.pause({ paused }) })),
    cancel: () =>
      guard(async () => {
        await api.background.cancel({})
        update({ status: await api.background.status({}) })
      }),
  }
}
