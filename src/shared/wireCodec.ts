/**
 * JSON with binary: the browser transport carries image bytes inside JSON messages. Uint8Array is
 * written as {"$bytes": base64} and read back, so handlers return the same values on both transports.
 * Handlers must return plain Uint8Array, not Node Buffer: JSON.stringify calls Buffer#toJSON (a
 * number array) before a replacer can see it.
 */
const BYTES_KEY = '$bytes'

type NodeBuffer = { from(a: ArrayBufferLike, o: number, l: number): { toString(e: 'base64'): string } }
// In Node (the server side) Buffer's native base64 is ~10× faster than btoa over a binary string.
const NodeBufferImpl = (globalThis as { Buffer?: NodeBuffer }).Buffer

function toBase64(bytes: Uint8Array): string {
  if (NodeBufferImpl) return NodeBufferImpl.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
  let binary = ''
  const chunk = 0x8000
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk))
  }
  return btoa(binary)
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text)
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

export function encodeWire(value: unknown): string {
  return JSON.stringify(value, function (this: unknown, _key, v: unknown) {
    if (v instanceof Uint8Array) return { [BYTES_KEY]: toBase64(v) }
    return v
  })
}

export function decodeWire(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && typeof (v as Record<string, unknown>)[BYTES_KEY] === 'string' && Object.keys(v).length === 1) {
      return fromBase64((v as Record<string, string>)[BYTES_KEY])
    }
    return v
  })
}
