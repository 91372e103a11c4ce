/**
 * JSON with binary for the browser transport. A message without bytes is a JSON text frame. A
 * message carrying Uint8Arrays (case images: ~0.5 MB for a 1024² PNG) or long arrays of numbers
 * (a heatmap edit) is one binary frame:
 *
 *   [u32 LE: header length][header: UTF-8 JSON][the bytes]
 *
 * where each Uint8Array in the header is written as {"$bin":[offset,length]} and each array of at
 * least PACKED_ARRAY_MIN finite numbers as {"$f64":[offset,count]} (little-endian float64, so every
 * number comes back exactly: 8 bytes a value instead of up to 25 characters of JSON). The bytes
 * cross unencoded: no base64 on the server, and no 0.7 MB string to parse and decode on the
 * renderer's main thread; the receiver gets views into the received buffer, not copies (packed
 * numbers come back as a plain number[], what the contract's schemas expect).
 * Handlers must return plain Uint8Array, not Node Buffer: JSON.stringify calls Buffer#toJSON (a
 * number array) before a replacer can see it. {"$bytes": base64} text is still read, for older peers.
 */
const BIN_KEY = '$bin'
const F64_KEY = '$f64'
const BYTES_KEY = '$bytes'

/**
 * The largest WebSocket message either side accepts (the server's maxPayload). Shared so the
 * renderer refuses an oversize request itself, and a test holds the contract's limits to it.
 */
export const MAX_MESSAGE_BYTES = 1 << 20

/** Shorter number arrays stay JSON: small messages remain readable text frames. */
export const PACKED_ARRAY_MIN = 1024

const encoder = new TextEncoder()
// fatal: a header that is not UTF-8 is refused by name instead of parsed as replacement characters
const decoder = new TextDecoder('utf-8', { fatal: true })

function isPackable(v: unknown): v is number[] {
  if (!Array.isArray(v) || v.length < PACKED_ARRAY_MIN) return false
  // only arrays JSON would carry faithfully: NaN/±Infinity would turn into null there, so they stay JSON
  for (const x of v) if (typeof x !== 'number' || !Number.isFinite(x)) return false
  return true
}

function packNumbers(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8)
  const view = new DataView(out.buffer)
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], true)
  return out
}

export function encodeWire(value: unknown): string | Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = []
  let offset = 0
  const header = JSON.stringify(value, function (this: unknown, _key, v: unknown) {
    if (v instanceof Uint8Array) {
      parts.push(v)
      offset += v.byteLength
      return { [BIN_KEY]: [offset - v.byteLength, v.byteLength] }
    }
    if (isPackable(v)) {
      const packed = packNumbers(v)
      parts.push(packed)
      offset += packed.byteLength
      return { [F64_KEY]: [offset - packed.byteLength, v.length] }
    }
    return v
  })
  if (parts.length === 0) return header
  const head = encoder.encode(header)
  const frame = new Uint8Array(4 + head.byteLength + offset)
  new DataView(frame.buffer).setUint32(0, head.byteLength, true)
  frame.set(head, 4)
  let at = 4 + head.byteLength
  for (const part of parts) {
    frame.set(part, at)
    at += part.byteLength
  }
  return frame
}

function isTagged(v: unknown, key: string): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, key) && Object.keys(v).length === 1
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text)
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

/** [start, length] of a tag, checked: integers, inside the payload (`unit` bytes per element). */
function span(tag: unknown, key: string, unit: number, payloadLength: number): [number, number] {
  if (!Array.isArray(tag) || tag.length !== 2 || !tag.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new Error(`binary wire frame has a malformed ${key} reference ${JSON.stringify(tag)?.slice(0, 80)}`)
  }
  const [start, count] = tag as [number, number]
  if (start + count * unit > payloadLength)
    throw new Error(`binary wire frame refers to bytes ${start}+${count * unit} outside its ${payloadLength}-byte payload`)
  return [start, count]
}

/** A text frame (string) or a binary frame (its bytes, e.g. `new Uint8Array(event.data)`). */
export function decodeWire(data: string | Uint8Array): unknown {
  if (typeof data === 'string') {
    return JSON.parse(data, (_key, v: unknown) =>
      isTagged(v, BYTES_KEY) && typeof v[BYTES_KEY] === 'string' ? fromBase64(v[BYTES_KEY]) : v,
    )
  }
  if (data.byteLength < 4) throw new Error(`binary wire frame of ${data.byteLength} bytes has no header`)
  const headerLength = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true)
  const payloadStart = 4 + headerLength
  if (payloadStart > data.byteLength)
    throw new Error(`binary wire frame header of ${headerLength} bytes exceeds the frame (${data.byteLength} bytes)`)
  const payload = data.subarray(payloadStart)
  let header: string
  try {
    header = decoder.decode(data.subarray(4, payloadStart))
  } catch {
    throw new Error('binary wire frame header is not UTF-8')
  }
  return JSON.parse(header, (_key, v: unknown) => {
    if (isTagged(v, BIN_KEY)) {
      const [start, length] = span(v[BIN_KEY], BIN_KEY, 1, payload.byteLength)
      return payload.subarray(start, start + length)
    }
    if (isTagged(v, F64_KEY)) {
      const [start, count] = span(v[F64_KEY], F64_KEY, 8, payload.byteLength)
      const view = new DataView(payload.buffer, payload.byteOffset + start, count * 8)
      return Array.from({ length: count }, (_, i) => view.getFloat64(i * 8, true))
    }
    return v
  })
}
