/**
 * Browser mode: builds the same `window.api` as the Electron preload, over one WebSocket to the
 * local server. The per-launch token from the page URL authenticates the socket.
 */
import { buildApi, type CxrApi } from '../../../shared/api'
import type { Channel, Envelope, EventMap, EventName } from '../../../shared/contract'
import { decodeWire, encodeWire } from '../../../shared/wireCodec'

type Pending = { resolve: (value: Envelope<unknown>) => void; reject: (error: Error) => void }

export function connectWebApi(token: string): Promise<CxrApi> {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  const socket = new WebSocket(`${scheme}://${location.host}/api?token=${encodeURIComponent(token)}`)
  // Answers carrying bytes (case images) come as binary frames: see wireCodec.
  socket.binaryType = 'arraybuffer'
  const pending = new Map<number, Pending>()
  const listeners = new Map<EventName, Set<(payload: never) => void>>()
  let nextId = 1

  socket.addEventListener('message', (event) => {
    const data: unknown = event.data
    const message = decodeWire(typeof data === 'string' ? data : new Uint8Array(data as ArrayBuffer)) as { id?: number; envelope?: Envelope<unknown>; event?: EventName; payload?: unknown }
    if (message.id !== undefined && message.envelope) {
      pending.get(message.id)?.resolve(message.envelope)
      pending.delete(message.id)
    } else if (message.event) {
      for (const listener of listeners.get(message.event) ?? []) listener(message.payload as never)
    }
  })
  socket.addEventListener('close', () => {
    for (const request of pending.values()) request.reject(new Error('Connection to CXR Lens closed; reload the page.'))
    pending.clear()
  })

  const invoke = (channel: Channel, request: unknown) =>
    new Promise<Envelope<unknown>>((resolve, reject) => {
      if (socket.readyState !== WebSocket.OPEN) return reject(new Error('Not connected to CXR Lens.'))
      const id = nextId++
      pending.set(id, { resolve, reject })
      socket.send(encodeWire({ id, channel, request }))
    })

  const subscribe = <E extends EventName>(event: E, listener: (payload: EventMap[E]) => void) => {
    const set = listeners.get(event) ?? new Set()
    set.add(listener as (payload: never) => void)
    listeners.set(event, set)
    return () => void set.delete(listener as (payload: never) => void)
  }

  return new Promise((resolve, reject) => {
    socket.addEventListener('open', () => resolve(buildApi(invoke, subscribe)), { once: true })
    socket.addEventListener('error', () => reject(new Error('Cannot connect to CXR Lens: is the token in the URL current?')), { once: true })
  })
}
