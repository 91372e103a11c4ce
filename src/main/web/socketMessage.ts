/**
 * One WebSocket message of browser mode, checked before it reaches the dispatcher: a client may
 * send anything (binary garbage, `null`, `[]`, a forged wire header), and each gets an
 * `invalid_request` answer instead of reaching code that assumes `{id, channel, request}`.
 */
import type { RawData } from 'ws'
import type { Envelope } from '../../shared/contract'
import { decodeWire } from '../../shared/wireCodec'

/** What a client may use to match answers to requests; anything else is answered with id null. */
export type RequestId = number | string | null

export interface SocketRequest {
  id: RequestId
  channel: string
  request: unknown
}

export type ParsedMessage = { ok: true; message: SocketRequest } | { ok: false; id: RequestId; envelope: Envelope<never> }

const MAX_ID_LENGTH = 128
const MAX_CHANNEL_LENGTH = 64

function invalid(id: RequestId, message: string): ParsedMessage {
  return { ok: false, id, envelope: { ok: false, error: { code: 'invalid_request', message } } }
}

function frameBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data
}

function requestId(value: unknown): RequestId | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && value.length <= MAX_ID_LENGTH) return value
  return undefined
}

export function parseSocketMessage(data: RawData, isBinary: boolean): ParsedMessage {
  let decoded: unknown
  try {
    // ws has already refused a text frame that is not UTF-8 (close 1007)
    decoded = decodeWire(isBinary ? frameBytes(data) : frameBytes(data).toString())
  } catch (error) {
    return invalid(null, `Message is not a wire message: ${(error as Error).message.slice(0, 200)}`)
  }
  if (!decoded || typeof decoded !== 'object' || Array.isArray(decoded)) {
    return invalid(
      null,
      `Message must be an object {id, channel, request}, got ${Array.isArray(decoded) ? 'an array' : decoded === null ? 'null' : typeof decoded}`,
    )
  }
  const { id: rawId, channel, request } = decoded as Record<string, unknown>
  const id = requestId(rawId)
  if (id === undefined) return invalid(null, `Message id must be a number or a string of at most ${MAX_ID_LENGTH} characters`)
  if (typeof channel !== 'string' || channel.length === 0 || channel.length > MAX_CHANNEL_LENGTH) {
    return invalid(id, `Message channel must be a channel name (a string of 1 to ${MAX_CHANNEL_LENGTH} characters)`)
  }
  return { ok: true, message: { id, channel, request } }
}
