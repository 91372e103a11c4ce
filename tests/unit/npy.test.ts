import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { decodeNpy, encodeNpy } from '../../src/main/explain/npy'
import { tempDir } from './helpers'

const PYTHON = '/usr/bin/python3'

function hasNumpy(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const ascii = (bytes: Uint8Array): string => String.fromCharCode(...bytes)
const headerLength = (bytes: Uint8Array): number => 10 + (bytes[8] | (bytes[9] << 8))

function filled<T extends Float32Array | Float64Array>(array: T): T {
  for (let i = 0; i < array.length; i++) array[i] = ((i * 7919) % 97) / 8 - 5.125
  return array
}

describe('encodeNpy', () => {
  it('writes the exact bytes numpy writes for a tiny float32 array', () => {
    const bytes = encodeNpy(new Float32Array([1, 2]), [2])
    expect([...bytes.subarray(0, 8)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0])
    // the 58-character dict does not fit in the first 64 bytes, so the header pads to 128
    expect(headerLength(bytes)).toBe(128)
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
    expect(ascii(bytes.subarray(10, 128))).toBe(dict + ' '.repeat(128 - 10 - dict.length - 1) + '\n')
    // 1.0f = 0x3f800000 and 2.0f = 0x40000000, little-endian
    expect([...bytes.subarray(128)]).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0x40])
  })

  it('uses <f8 for Float64Array and Python tuple syntax for every rank', () => {
    expect(ascii(encodeNpy(new Float64Array(64), [8, 8]))).toContain("{'descr': '<f8', 'fortran_order': False, 'shape': (8, 8), }")
    expect(ascii(encodeNpy(new Float32Array(24), [2, 3, 4]))).toContain("'shape': (2, 3, 4), }")
    expect(ascii(encodeNpy(new Float32Array(1), []))).toContain("'shape': (), }")
  })

  it('aligns the data start to 64 bytes for any shape', () => {
    for (const shape of [[1], [7, 7], [12345, 1], [2, 3, 4], [1, 1, 1, 1, 1, 1, 1, 1]]) {
      const count = shape.reduce((a, b) => a * b, 1)
      const bytes = encodeNpy(new Float32Array(count), shape)
      expect(headerLength(bytes) % 64).toBe(0)
      expect(bytes[headerLength(bytes) - 1]).toBe(0x0a)
      expect(bytes.length).toBe(headerLength(bytes) + count * 4)
    }
  })

  it('refuses a shape that does not match the data', () => {
    expect(() => encodeNpy(new Float32Array(6), [2, 2])).toThrow(/holds 4 values but the data has 6/)
    expect(() => encodeNpy(new Float32Array(2), [-1, -2])).toThrow(/non-negative integers/)
    expect(() => encodeNpy(new Float32Array(2), [2.5])).toThrow(/non-negative integers/)
  })
})

describe('decodeNpy', () => {
  const cases: Array<[string, Float32Array | Float64Array | Uint8Array, number[]]> = [
    ['1-D float32', filled(new Float32Array(10)), [10]],
    ['2-D float32', filled(new Float32Array(64)), [8, 8]],
    ['3-D float32', filled(new Float32Array(24)), [2, 3, 4]],
    ['1-D float64', filled(new Float64Array(5)), [5]],
    ['2-D float64', filled(new Float64Array(49)), [7, 7]],
    ['3-D float64', Float64Array.from({ length: 30 }, (_, i) => Math.PI * i - 1e-300), [5, 3, 2]],
    ['empty', new Float32Array(0), [0, 4]],
    ['3-D uint8 (model-input pixels)', Uint8Array.from({ length: 24 }, (_, i) => i * 11), [2, 3, 4]],
  ]

  it.each(cases)('round-trips %s', (_name, data, shape) => {
    const decoded = decodeNpy(encodeNpy(data, shape))
    expect(decoded.shape).toEqual(shape)
    expect(decoded.data).toBeInstanceOf(data.constructor)
    expect([...decoded.data]).toEqual([...data])
  })

  it('reads from a view that does not start at offset 0', () => {
    const bytes = encodeNpy(new Float64Array([1.5, -2.25]), [2])
    const padded = new Uint8Array(bytes.length + 3)
    padded.set(bytes, 3)
    expect([...decodeNpy(padded.subarray(3)).data]).toEqual([1.5, -2.25])
  })

  it('refuses what it does not support, saying why', () => {
    const good = encodeNpy(new Float32Array([1, 2]), [2])
    expect(() => decodeNpy(new TextEncoder().encode('hello, world'))).toThrow('npy: not an .npy file')
    expect(() => decodeNpy(good.subarray(0, 5))).toThrow('npy: not an .npy file')
    const v2 = good.slice()
    v2[6] = 2
    expect(() => decodeNpy(v2)).toThrow(/version 2\.0/)
    const asInt = good.slice()
    asInt.set(new TextEncoder().encode("'<i4'"), 10 + "{'descr': ".length)
    expect(() => decodeNpy(asInt)).toThrow(/unsupported dtype '<i4'/)
    const fortran = good.slice()
    fortran.set(new TextEncoder().encode('True, '), 10 + "{'descr': '<f4', 'fortran_order': ".length)
    expect(() => decodeNpy(fortran)).toThrow(/Fortran-order/)
    expect(() => decodeNpy(good.subarray(0, good.length - 1))).toThrow(/expected 8 data bytes/)
  })
})

describe.runIf(hasNumpy())('numpy interoperability', () => {
  const dir = tempDir('cxr-npy-')
  afterAll(dir.cleanup)

  function numpyLoad(path: string): string {
    const script = 'import sys, numpy; a = numpy.load(sys.argv[1]); print(a.shape, a.dtype, float(a.sum()))'
    return execFileSync(PYTHON, ['-c', script, path], { encoding: 'utf8' }).trim()
  }

  it('numpy.load reads an 8×8 float32 map', () => {
    const path = join(dir.path, 'map.npy')
    writeFileSync(
      path,
      encodeNpy(
        Float32Array.from({ length: 64 }, (_, i) => i / 4),
        [8, 8],
      ),
    )
    expect(numpyLoad(path)).toBe('(8, 8) float32 504.0')
  })

  it('numpy.load reads 1-D and 3-D float64 arrays', () => {
    const oneD = join(dir.path, 'one.npy')
    writeFileSync(oneD, encodeNpy(new Float64Array([0.5, 1.25, -3]), [3]))
    expect(numpyLoad(oneD)).toBe('(3,) float64 -1.25')
    const threeD = join(dir.path, 'three.npy')
    writeFileSync(
      threeD,
      encodeNpy(
        Float64Array.from({ length: 24 }, (_, i) => i),
        [2, 3, 4],
      ),
    )
    expect(numpyLoad(threeD)).toBe('(2, 3, 4) float64 276.0')
  })

  it('numpy.load reads a [3, 2, 2] uint8 tensor', () => {
    const path = join(dir.path, 'pixels.npy')
    writeFileSync(
      path,
      encodeNpy(
        Uint8Array.from({ length: 12 }, (_, i) => 250 + (i % 6)),
        [3, 2, 2],
      ),
    )
    expect(numpyLoad(path)).toBe('(3, 2, 2) uint8 3030.0')
  })
})
