/**
 * Browser mode: builds the same `window.api` as the Electron preload, over one WebSocket to the
 * local server. The per-launch token from the page URL authenticates the socket.
 */
import { buildApi, type CxrApi } from '../../../shared/api'
import type { Channel, Envelope, EventMap, EventName } from '../../../shared/contract'
import { decodeWire, encodeWire, MAX_MESSAGE_BYTES } from '../../../shared/wireCodec'
import { markOpen } from '../canvas/openTrace'

/** UTF-8 size of a text frame; most are far under the limit even at 3 bytes a UTF-16 unit, and are not encoded twice. */
function utf8Length(text: string): number {
  return text.length * 3 <= MAX_MESSAGE_BYTES ? text.length : new TextEncoder().encode(text).byteLength
}

type Pending = { channel: Channel; resolve: (value: Envelope<unknown>) => void; reject: (error: Error) => void }

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
    // serverMs: the server's handling time of the request (for the opening's trace)
    let message: { id?: number; envelope?: Envelope<unknown>; serverMs?: number; event?: EventName; payload?: unknown }
    try {
      message = decodeWire(typeof data === 'string' ? data : new Uint8Array(data as ArrayBuffer)) as typeof message
    } catch (error) {
      // one unreadable frame must not stop the page from reading the next ones
      console.error(`CXR Lens: unreadable message from the server: ${(error as Error).message}`)
      return
    }
    if (message.id !== undefined && message.envelope) {
      const request = pending.get(message.id)
      if (request) markOpen(`answered ${request.channel}`, undefined, typeof message.serverMs === 'number' ? message.serverMs : undefined)
      request?.resolve(message.envelope)
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
      const frame = encodeWire({ id, channel, request })
      const size = typeof frame === 'string' ? utf8Length(frame) : frame.byteLength
      // the server would close the socket (1009) and fail every pending request with it
      if (size > MAX_MESSAGE_BYTES)
        return reject(new Error(`The ${channel} request is ${size} bytes, over the ${MAX_MESSAGE_BYTES}-byte message limit.`))
      pending.set(id, { channel, resolve, reject })
      markOpen(`issued ${channel}`)
      socket.send(frame)
    })

  const subscribe = <E extends EventName>(event: E, listener: (payload: EventMap[E]) => void) => {
    const set = listeners.get(event) ?? new Set()
    set.add(listener as (payload: never) => void)
    listeners.set(event, set)
    return () => void set.delete(listener as (payload: never) => void)
  }

  return new Promise((resolve, reject) => {
    socket.addEventListener('open', () => resolve(buildApi(invoke, subscribe)), { once: true })
    socket.addEventListener('error', () => reject(new Error('Cannot connect to CXR Lens: is the token in the URL current?')), {
      once: true,
    })
  })
}
