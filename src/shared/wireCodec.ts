/**
 * JSON with binary for the browser transport. A message without bytes is a JSON text frame. A
 * message carrying Uint8Arrays (case images: ~0.5 MB for a 1024² PNG) is one binary frame:
 *
 *   [u32 LE: header length][header: UTF-8 JSON, each Uint8Array written as {"$bin":[offset,length]}][the bytes]
 *
 * so the bytes cross unencoded: no base64 on the server, and no 0.7 MB string to parse and decode
 * on the renderer's main thread; the receiver gets views into the received buffer, not copies.
 * Handlers must return plain Uint8Array, not Node Buffer: JSON.stringify calls Buffer#toJSON (a
 * number array) before a replacer can see it. {"$bytes": base64} text is still read, for older peers.
 */
const BIN_KEY = '$bin'
const BYTES_KEY = '$bytes'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function encodeWire(value: unknown): string | Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = []
  let offset = 0
  const header = JSON.stringify(value, function (this: unknown, _key, v: unknown) {
    if (!(v instanceof Uint8Array)) return v
    parts.push(v)
    offset += v.byteLength
    return { [BIN_KEY]: [offset - v.byteLength, v.byteLength] }
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
  return !!v && typeof v === 'object' && key in v && Object.keys(v).length === 1
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text)
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

/** A text frame (string) or a binary frame (its bytes, e.g. `new Uint8Array(event.data)`). */
export function decodeWire(data: string | Uint8Array): unknown {
  if (typeof data === 'string') {
    return JSON.parse(data, (_key, v: unknown) => (isTagged(v, BYTES_KEY) && typeof v[BYTES_KEY] === 'string' ? fromBase64(v[BYTES_KEY]) : v))
  }
  if (data.byteLength < 4) throw new Error(`binary wire frame of ${data.byteLength} bytes has no header`)
  const headerLength = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true)
  const payloadStart = 4 + headerLength
  if (payloadStart > data.byteLength) throw new Error(`binary wire frame header of ${headerLength} bytes exceeds the frame (${data.byteLength} bytes)`)
  const payload = data.subarray(payloadStart)
  return JSON.parse(decoder.decode(data.subarray(4, payloadStart)), (_key, v: unknown) => {
    if (!isTagged(v, BIN_KEY)) return v
    const [start, length] = v[BIN_KEY] as [number, number]
    if (!(start >= 0 && length >= 0 && start + length <= payload.byteLength)) throw new Error(`binary wire frame refers to bytes ${start}+${length} outside its ${payload.byteLength}-byte payload`)
    return payload.subarray(start, start + length)
  })
}
