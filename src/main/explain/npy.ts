/**
 * NumPy .npy (format version 1.0) for exporting heatmaps as float arrays and model-input tensors
 * (uint8 pixels, `cxr-lens preprocess`) that `numpy.load` reads directly. Only C-order
 * little-endian float32/float64 and uint8 are written, and only those are read back.
 * Spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */

export type NpyArray = Float32Array | Float64Array | Uint8Array
type Descr = '<f4' | '<f8' | '|u1'

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // \x93NUMPY
// magic (6) + version (2) + uint16 header length (2)
const PREAMBLE = 10
// numpy aligns the data start to 64 bytes so the array can be memory-mapped
const ALIGN = 64

function descrOf(data: NpyArray): Descr {
  return data instanceof Float64Array ? '<f8' : data instanceof Uint8Array ? '|u1' : '<f4'
}

function checkShape(shape: number[], length: number): void {
  for (const n of shape) {
    if (!Number.isInteger(n) || n < 0) throw new Error(`npy: shape entries must be non-negative integers, got (${shape.join(', ')})`)
  }
  const count = shape.reduce((a, b) => a * b, 1)
  if (count !== length) throw new Error(`npy: shape (${shape.join(', ')}) holds ${count} values but the data has ${length}`)
}

/** Python tuple syntax: a one-element tuple needs the trailing comma, `(n,)`. */
function shapeTuple(shape: number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`
}

/** The header dict exactly as numpy writes it, space-padded and ending in '\n'. */
function headerText(descr: string, shape: number[]): string {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeTuple(shape)}, }`
  const unpadded = PREAMBLE + dict.length + 1
  const padding = (ALIGN - (unpadded % ALIGN)) % ALIGN
  return dict + ' '.repeat(padding) + '\n'
}

/** Encodes a C-order float array as .npy v1.0 bytes. */
export function encodeNpy(data: NpyArray, shape: number[]): Uint8Array {
  checkShape(shape, data.length)
  const descr = descrOf(data)
  const header = headerText(descr, shape)
  // v1.0 stores the header length in a uint16; only absurd shapes overflow it
  if (header.length > 0xffff) throw new Error('npy: header too long for format version 1.0')
  const itemSize = data.BYTES_PER_ELEMENT
  const out = new Uint8Array(PREAMBLE + header.length + data.length * itemSize)
  const view = new DataView(out.buffer)
  out.set(MAGIC, 0)
  out[6] = 1
  out[7] = 0
  view.setUint16(8, header.length, true)
  for (let i = 0; i < header.length; i++) out[PREAMBLE + i] = header.charCodeAt(i)
  const start = PREAMBLE + header.length
  // DataView writes little-endian whatever the host byte order is
  if (itemSize === 1) out.set(data, start)
  else if (itemSize === 8) for (let i = 0; i < data.length; i++) view.setFloat64(start + i * 8, data[i], true)
  else for (let i = 0; i < data.length; i++) view.setFloat32(start + i * 4, data[i], true)
  return out
}

function parseShape(text: string): number[] {
  const inner = text.trim()
  if (inner === '') return []
  const parts = inner
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
  return parts.map((p) => {
    if (!/^\d+$/.test(p)) throw new Error(`npy: unsupported shape entry '${p}'`)
    return Number(p)
  })
}

/** Reads the header dict; anything but what encodeNpy writes is refused with a clear reason. */
function parseHeader(dict: string): { descr: Descr; shape: number[] } {
  const descr = /'descr':\s*'([^']*)'/.exec(dict)?.[1]
  const fortran = /'fortran_order':\s*(True|False)/.exec(dict)?.[1]
  const shape = /'shape':\s*\(([^)]*)\)/.exec(dict)?.[1]
  if (descr === undefined || fortran === undefined || shape === undefined) throw new Error('npy: malformed header')
  if (descr !== '<f4' && descr !== '<f8' && descr !== '|u1')
    throw new Error(`npy: unsupported dtype '${descr}' (only '<f4', '<f8' and '|u1')`)
  if (fortran === 'True') throw new Error('npy: Fortran-order arrays are not supported')
  return { descr, shape: parseShape(shape) }
}

/**
 * Decodes .npy v1.0 bytes holding a little-endian float32/float64 or uint8 C-order array. Only the
 * tests call it (round-trips of encodeNpy); it stays beside the encoder so reader and writer change together.
 */
export function decodeNpy(bytes: Uint8Array): { data: NpyArray; shape: number[] } {
  if (bytes.length < PREAMBLE || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error('npy: not an .npy file')
  if (bytes[6] !== 1 || bytes[7] !== 0) throw new Error(`npy: unsupported format version ${bytes[6]}.${bytes[7]} (only 1.0)`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLength = view.getUint16(8, true)
  const start = PREAMBLE + headerLength
  if (start > bytes.length) throw new Error('npy: truncated header')
  const { descr, shape } = parseHeader(new TextDecoder('latin1').decode(bytes.subarray(PREAMBLE, start)))
  const count = shape.reduce((a, b) => a * b, 1)
  const itemSize = descr === '<f8' ? 8 : descr === '|u1' ? 1 : 4
  if (bytes.length - start !== count * itemSize) {
    throw new Error(`npy: expected ${count * itemSize} data bytes for shape (${shape.join(', ')}), found ${bytes.length - start}`)
  }
  if (itemSize === 1) return { data: new Uint8Array(bytes.subarray(start)), shape }
  const data = itemSize === 8 ? new Float64Array(count) : new Float32Array(count)
  if (itemSize === 8) for (let i = 0; i < count; i++) data[i] = view.getFloat64(start + i * 8, true)
  else for (let i = 0; i < count; i++) data[i] = view.getFloat32(start + i * 4, true)
  return { data, shape }
}
