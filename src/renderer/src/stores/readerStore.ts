/**
 * Who is reading: the reader list and the current reader. The choice is remembered in localStorage
 * (so per browser profile, not per data dir: a stored id that no longer exists is simply ignored).
 * Nothing here blocks the UI: views ask `requireReader()` only when the user starts a write.
 */
import { useSyncExternalStore } from 'react'
import type { CxrApi } from '../../../shared/api'
import type { Reader, ReaderRole } from '../../../shared/domain'
import { errorMessage } from '../apiContext'

const STORAGE_KEY = 'cxr-lens.readerId'

export interface ReaderState {
  readers: readonly Reader[]
  current: Reader | null
  /** The picker is shown (on start without a remembered reader, on "switch", or when a write needs one). */
  pickerOpen: boolean
  /** Why the picker was opened by a write ("Choose a reader to draw boxes"). */
  prompt: string | null
  error: string | null
}

export type ReaderStore = ReturnType<typeof createReaderStore>

function rememberedId(): number | null {
  try {
    const value = Number(localStorage.getItem(STORAGE_KEY))
    return Number.isInteger(value) && value > 0 ? value : null
  } catch {
    return null // storage disabled: the reader is asked for again next time
  }
}

export function createReaderStore(api: CxrApi) {
  let state: ReaderState = { readers: [], current: null, pickerOpen: false, prompt: null, error: null }
  const listeners = new Set<() => void>()

  function update(patch: Partial<ReaderState>): void {
    state = { ...state, ...patch }
    for (const listener of listeners) listener()
  }

  function choose(reader: Reader): void {
    try {
      localStorage.setItem(STORAGE_KEY, String(reader.id))
    } catch {
      /* not remembered, still used for this session */
    }
    update({ current: reader, pickerOpen: false, prompt: null, error: null })
  }

  return {
    subscribe(listener: () => void): () => void {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    getState: (): ReaderState => state,
    async load(): Promise<void> {
      try {
        const readers = await api.readers.list({})
        const remembered = readers.find((r) => r.id === rememberedId()) ?? null
        update({ readers, current: remembered, pickerOpen: remembered === null, error: null })
      } catch (error) {
        update({ error: errorMessage(error), pickerOpen: true })
      }
    },
    choose,
    async create(name: string, role: ReaderRole): Promise<Reader | null> {
      try {
        const reader = await api.readers.create({ name, role })
        update({ readers: [...state.readers, reader] })
        choose(reader)
        return reader
      } catch (error) {
        update({ error: errorMessage(error) })
        return null
      }
    },
    openPicker(prompt: string | null = null): void {
      update({ pickerOpen: true, prompt })
    },
    closePicker(): void {
      update({ pickerOpen: false, prompt: null })
    },
    /** The current reader, or null after opening the picker with `why` (the caller then does nothing). */
    requireReader(why: string): Reader | null {
      if (state.current) return state.current
      update({ pickerOpen: true, prompt: why })
      return null
    },
  }
}

export function useReaderState(store: ReaderStore): ReaderState {
  return useSyncExternalStore(store.subscribe, store.getState)
}
