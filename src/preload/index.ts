/**
 * The only bridge between the sandboxed renderer and main: `window.api`, built from the contract.
 * ipcRenderer itself is never exposed; events are re-wrapped so the renderer never sees an IPC event.
 */
import { contextBridge, ipcRenderer } from 'electron'
import { buildApi, type CxrApi } from '../shared/api'
import { EVENT_NAMES, type EventName } from '../shared/channels'
import type { Envelope, EventMap } from '../shared/contract'

const api = buildApi(
  (channel, request) => ipcRenderer.invoke(channel, request) as Promise<Envelope<unknown>>,
  <E extends EventName>(event: E, listener: (payload: EventMap[E]) => void) => {
    if (!(EVENT_NAMES as readonly string[]).includes(event)) throw new Error(`Unknown event ${event}`)
    const wrapped = (_event: unknown, payload: EventMap[E]) => listener(payload)
    ipcRenderer.on(event, wrapped)
    return () => void ipcRenderer.removeListener(event, wrapped)
  },
) satisfies CxrApi

contextBridge.exposeInMainWorld('api', api)
