/**
 * Who is reading: the reader list, the reader this connection is logged in as, and the picker. The
 * server holds the session (per WebSocket connection, or per window page over IPC), so a reload
 * starts logged out. Only the last reader's *name* is remembered (localStorage, per browser
 * profile), to preselect it in the picker; never the secret or the session.
 * Nothing here blocks the UI: views ask `requireReader()` only when the user starts a write.
 */
import { useSyncExternalStore } from 'react'
import type { CxrApi } from '../../../shared/api'
import { canManageModels, type Reader, type ReaderRole } from '../../../shared/domain'
import { errorMessage } from '../apiContext'

const NAME_KEY = 'cxr-lens.readerName'
/** What older versions kept (the reader's id, which logged it in without a secret): dropped on load. */
const OLD_ID_KEY = 'cxr-lens.readerId'

export interface ReaderState {
  readers: readonly Reader[]
  /** The reader this connection is logged in as. */
  current: Reader | null
  /** The reader chosen in the picker, waiting for its secret. */
  selected: Reader | null
  /** The picker is shown (on start, on "switch", or when a write needs a reader). */
  pickerOpen: boolean
  /** Why the picker was opened by a write ("Choose a reader to draw boxes"). */
  prompt: string | null
  error: string | null
  busy: boolean
}

/** Model management and fine-tuning are for clinical advisors and administrators (shared with the server's access table). */
export { canManageModels }

export type ReaderStore = ReturnType<typeof createReaderStore>

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage
  } catch {
    return null // storage disabled: nothing is remembered
  }
}

function rememberedName(): string | null {
  try {
    const store = storage()
    store?.removeItem(OLD_ID_KEY)
    return store?.getItem(NAME_KEY) ?? null
  } catch {
    return null
  }
}

function rememberName(name: string): void {
  try {
    storage()?.setItem(NAME_KEY, name)
  } catch {
    /* not remembered; the picker just preselects nobody next time */
  }
}

export function createReaderStore(api: CxrApi) {
  let state: ReaderState = { readers: [], current: null, selected: null, pickerOpen: false, prompt: null, error: null, busy: false }
  const listeners = new Set<() => void>()

  function update(patch: Partial<ReaderState>): void {
    state = { ...state, ...patch }
    for (const listener of listeners) listener()
  }

  function loggedIn(reader: Reader): void {
    rememberName(reader.name)
    update({ current: reader, selected: null, pickerOpen: false, prompt: null, error: null, busy: false })
  }

  /** Reads the list again (readers made on the CLI appear) and keeps the selection when it still exists. */
  async function refresh(): Promise<void> {
    try {
      const readers = await api.readers.list({})
      const name = state.selected?.name ?? state.current?.name ?? rememberedName()
      update({ readers, selected: readers.find((r) => r.name === name) ?? null })
    } catch (error) {
      update({ error: errorMessage(error), pickerOpen: true })
    }
  }

  return {
    subscribe(listener: () => void): () => void {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    getState: (): ReaderState => state,
    /** On start: nobody is logged in yet; the picker opens with the last reader preselected. */
    async load(): Promise<void> {
      update({ pickerOpen: state.current === null, error: null })
      await refresh()
    },
    select(reader: Reader | null): void {
      update({ selected: reader, error: null })
    },
    async login(secret: string): Promise<Reader | null> {
      const reader = state.selected
      if (!reader) return null
      update({ busy: true, error: null })
      try {
        const current = await api.readers.login({ readerId: reader.id, secret })
        loggedIn(current)
        return current
      } catch (error) {
        // The server logged this connection out by the failed attempt.
        update({ busy: false, current: null, error: errorMessage(error) })
        return null
      }
    },
    /**
     * Creates a reader. Without an administrator logged in this is self-enrolment (a radiologist),
     * and the server logs the connection in as the new reader; an administrator stays themself.
     */
    async create(name: string, role: ReaderRole, secret: string): Promise<Reader | null> {
      update({ busy: true, error: null })
      try {
        const reader = await api.readers.create({ name, role, secret })
        update({ readers: [...state.readers, reader].sort((a, b) => a.name.localeCompare(b.name)) })
        if (state.current?.administrator) update({ busy: false })
        else loggedIn(reader)
        return reader
      } catch (error) {
        update({ busy: false, error: errorMessage(error) })
        return null
      }
    },
    async logout(): Promise<void> {
      try {
        await api.readers.logout({})
      } finally {
        update({ current: null, pickerOpen: true, prompt: null })
      }
    },
    openPicker(prompt: string | null = null): void {
      update({ pickerOpen: true, prompt })
      void refresh()
    },
    closePicker(): void {
      update({ pickerOpen: false, prompt: null, error: null })
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
