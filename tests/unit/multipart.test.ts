/**
 * The streaming multipart/related reader WADO-RS answers go through (src/main/pacs/multipart.ts), on
 * hand-built bodies: boundaries split across chunks, quoted boundaries, CRLF inside and at the end of
 * a part, a non-DICOM part, a part over the size limit, an endless preamble and a cut-off body.
 */
import { describe, expect, it } from 'vitest'
import { boundaryOf, MultipartError, parseMediaType, readMultipart, type MultipartPart } from '../../src/main/pacs/multipart'

const enc = (s: string) => Buffer.from(s, 'latin1')

function body(boundary: string, parts: Array<{ type?: string; bytes: Buffer }>, close = true, preamble = ''): Buffer {
  const pieces: Buffer[] = [enc(preamble)]
  for (const part of parts) {
    pieces.push(enc(`--${boundary}\r\n${part.type === undefined ? '' : `Content-Type: ${part.type}\r\n`}\r\n`), part.bytes, enc('\r\n'))
  }
  if (close) pieces.push(enc(`--${boundary}--\r\nepilogue that is never read`))
  return Buffer.concat(pieces)
}

/** The body as a stream of chunks of `size` bytes (1: every boundary is split). */
async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield new Uint8Array(bytes.subarray(i, i + size))
}

async function read(bytes: Buffer, boundary: string, size: number, limits = { maxPartBytes: 1 << 20 }) {
  const parts: MultipartPart[] = []
  const count = await readMultipart(chunks(bytes, size), boundary, async (p) => void parts.push(p), {
    ...limits,
    partType: 'application/dicom',
    defaultType: 'application/dicom',
  })
  return { count, parts }
}

const DICOM_A = Buffer.concat([Buffer.alloc(128), enc('DICM'), enc('first instance\r\n--not-the-boundary\r\n')])
const DICOM_B = Buffer.concat([Buffer.alloc(128), enc('DICM'), enc('second, ends in CRLF\r\n')])

describe('readMultipart', () => {
  it('hands on each part with its exact bytes, whatever the chunking (boundary split across chunks)', async () => {
    const b = 'Orthanc-Boundary-1f2e'
    const raw = body(b, [
      { type: 'application/dicom', bytes: DICOM_A },
      { type: 'application/dicom; transfer-syntax=1.2.840.10008.1.2.1', bytes: DICOM_B },
    ])
    for (const size of [1, 2, 3, 7, 64, raw.length]) {
      const { count, parts } = await read(raw, b, size)
      expect(count).toBe(2)
      expect(parts.map((p) => Buffer.from(p.body))).toEqual([DICOM_A, DICOM_B])
      expect(parts[1].headers['content-type']).toMatch(/transfer-syntax/)
      expect(parts.map((p) => p.index)).toEqual([0, 1])
    }
  })

  it('keeps CR LF that end a part (the delimiter takes only the CRLF before it), and an empty part', async () => {
    const b = 'x'
    const raw = body(b, [{ bytes: enc('\r\n\r\n') }, { bytes: Buffer.alloc(0) }])
    const { parts } = await read(raw, b, 1)
    expect(parts.map((p) => Buffer.from(p.body).toString('latin1'))).toEqual(['\r\n\r\n', ''])
  })

  it('reads a preamble and transport padding after a boundary', async () => {
    const b = 'abc'
    const raw = Buffer.concat([
      enc('This is a preamble.\r\n--abc  \t\r\nContent-Type: application/dicom\r\n\r\n'),
      DICOM_A,
      enc('\r\n--abc--'),
    ])
    const { parts } = await read(raw, b, 5)
    expect(Buffer.from(parts[0].body)).toEqual(DICOM_A)
  })

  it('refuses a part that is not application/dicom, after handing on the ones before it', async () => {
    const b = 'B'
    const raw = body(b, [
      { type: 'application/dicom', bytes: DICOM_A },
      { type: 'text/html', bytes: enc('<html>proxy error</html>') },
    ])
    const seen: number[] = []
    const error = await readMultipart(chunks(raw, 9), b, async (p) => void seen.push(p.index), {
      maxPartBytes: 1 << 20,
      partType: 'application/dicom',
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MultipartError)
    expect(error).toMatchObject({ fault: 'wrong_type', parts: 1 })
    expect((error as Error).message).toMatch(/part 2 is text\/html, not application\/dicom/)
    expect(seen).toEqual([0])
  })

  it('says "truncated" for a body cut off inside a part or before the closing boundary', async () => {
    const b = 'B'
    const whole = body(b, [
      { type: 'application/dicom', bytes: DICOM_A },
      { type: 'application/dicom', bytes: DICOM_B },
    ])
    const cut = whole.subarray(0, whole.indexOf(enc('second')) + 3)
    await expect(read(cut, b, 11)).rejects.toMatchObject({ fault: 'truncated', parts: 1 })
    const unclosed = body(b, [{ type: 'application/dicom', bytes: DICOM_A }], false)
    // Without a delimiter after it, a part's end is unknown: it is not handed on.
    await expect(read(unclosed, b, 4)).rejects.toMatchObject({ fault: 'truncated', parts: 0 })
  })

  it('is bounded: a part over maxPartBytes and a preamble without a boundary are refused, not buffered', async () => {
    const b = 'B'
    const big = body(b, [{ type: 'application/dicom', bytes: Buffer.alloc(5000, 7) }])
    await expect(read(big, b, 100, { maxPartBytes: 4096 })).rejects.toMatchObject({ fault: 'too_large' })
    let pulled = 0
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        pulled++
        yield new Uint8Array(1024).fill(0x41)
      }
    }
    await expect(
      readMultipart(endless(), b, async () => undefined, { maxPartBytes: 1 << 20, maxPreambleBytes: 8192 }),
    ).rejects.toMatchObject({ fault: 'malformed' })
    expect(pulled).toBeLessThan(20)
    const noHeaderEnd = Buffer.concat([enc('--B\r\nContent-Type: application/dicom\r\n'), Buffer.alloc(40_000, 0x41)])
    await expect(read(noHeaderEnd, b, 1000)).rejects.toMatchObject({ fault: 'malformed' })
  })

  it('refuses a boundary line that does not end in CRLF, and a body with no boundary', async () => {
    await expect(read(enc('--Bjunk\r\n\r\nx\r\n--B--'), 'B', 3)).rejects.toMatchObject({ fault: 'malformed' })
    await expect(read(enc('just some text'), 'B', 3)).rejects.toMatchObject({ fault: 'malformed' })
  })
})

describe('parseMediaType / boundaryOf', () => {
  it('reads quoted and unquoted boundaries and the type parameter', () => {
    const quoted = parseMediaType('Multipart/Related; type="application/dicom"; boundary="a b:c=d"')
    expect(quoted).toEqual({ type: 'multipart/related', params: { type: 'application/dicom', boundary: 'a b:c=d' } })
    expect(boundaryOf(quoted)).toBe('a b:c=d')
    expect(boundaryOf(parseMediaType('multipart/related;boundary=Orthanc-1;type=application/dicom'))).toBe('Orthanc-1')
  })

  it('refuses a non-multipart type, a missing boundary and one that is too long', () => {
    expect(() => boundaryOf(parseMediaType('application/json'))).toThrow(/not multipart/)
    expect(() => boundaryOf(parseMediaType('multipart/related; type="application/dicom"'))).toThrow(/no valid boundary/)
    expect(() => boundaryOf(parseMediaType(`multipart/related; boundary=${'x'.repeat(71)}`))).toThrow(/no valid boundary/)
  })
})
