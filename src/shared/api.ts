/**
 * `window.api`: the only surface the renderer sees. Both transports (Electron preload and the
 * browser-mode WebSocket client) build it with `buildApi` from a raw `invoke`, so the renderer
 * cannot tell which one it runs on.
 */
import { CHANNELS, type Channel, type EventName } from './channels'
import type { ApiErrorBody, Envelope, EventMap, RequestOf, ResponseOf } from './contract'

export class ApiError extends Error {
  readonly code: ApiErrorBody['code']
  readonly issues: string[]
  constructor(body: ApiErrorBody) {
    super(body.message)
    this.name = 'ApiError'
    this.code = body.code
    this.issues = body.issues ?? []
  }
}

/** `cases:list` → api.cases.list(request) */
type DomainOf<C extends string> = C extends `${infer D}:${string}` ? D : never
type VerbOf<C extends string, D extends string> = C extends `${D}:${infer V}` ? V : never

export type CxrApi = {
  [D in DomainOf<Channel>]: {
    [V in VerbOf<Channel, D>]: (request: RequestOf<`${D}:${V}` & Channel>) => Promise<ResponseOf<`${D}:${V}` & Channel>>
  }
} & {
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void
}

export type RawInvoke = (channel: Channel, request: unknown) => Promise<Envelope<unknown>>
export type RawSubscribe = <E extends EventName>(event: E, listener: (payload: EventMap[E]) => void) => () => void

export function buildApi(invoke: RawInvoke, subscribe: RawSubscribe): CxrApi {
  const api: Record<string, Record<string, unknown>> = {}
  for (const channel of CHANNELS) {
    const [domain, verb] = channel.split(':') as [string, string]
    api[domain] ??= {}
    api[domain][verb] = async (request: unknown) => {
      const envelope = await invoke(channel, request ?? {})
      if (!envelope.ok) throw new ApiError(envelope.error)
      return envelope.data
    }
  }
  return Object.assign(api, { on: subscribe }) as unknown as CxrApi
}
