/**
 * A streaming reader of multipart/related bodies (RFC 2046 §5.1, RFC 2387), as WADO-RS sends them:
 * each part is handed on as soon as its closing delimiter arrives, so a study of many instances never
 * sits in memory at once. What it holds is bounded: one part (at most `maxPartBytes`), one part's
 * headers (`maxHeaderBytes`) and a preamble (`maxPreambleBytes`); anything larger is refused rather
 * than buffered. Delimiters may be split across network chunks; the CRLF before a delimiter belongs
 * to the delimiter, not to the part (a body that ends in CR LF keeps them).
 */

export type MultipartFault = 'malformed' | 'too_large' | 'wrong_type' | 'truncated'

export class MultipartError extends Error {
  constructor(
    readonly fault: MultipartFault,
    message: string,
    /** complete parts handed on before the fault */
    readonly parts: number,
  ) {
    super(message)
    this.name = 'MultipartError'
  }
}

export interface MultipartLimits {
  maxPartBytes: number
  /** bytes before the first boundary (default 64 KiB) */
  maxPreambleBytes?: number
  /** one part's header block (default 16 KiB) */
  maxHeaderBytes?: number
}

export interface MultipartPart {
  /** header names in lower case */
  headers: Record<string, string>
  body: Uint8Array
  index: number
}

export interface MediaType {
  /** lower case, e.g. "multipart/related" */
  type: string
  /** parameter names in lower case, values unquoted */
  params: Record<string, string>
}

/** Parses a Content-Type value: `multipart/related; type="application/dicom"; boundary=abc`. */
export function parseMediaType(value: string): MediaType {
  const semi = value.indexOf(';')
  const type = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase()
  const params: Record<string, string> = {}
  const rest = semi === -1 ? '' : value.slice(semi)
  const PARAM = /;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g
  for (const match of rest.matchAll(PARAM)) {
    const raw = match[2].trim()
    params[match[1].toLowerCase()] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw
  }
  return { type, params }
}

/** RFC 2046: 1 to 70 characters from a fixed set, not ending in a space. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/

/** The boundary of a multipart Content-Type; throws MultipartError('malformed') when it is missing or not valid. */
export function boundaryOf(media: MediaType): string {
  const boundary = media.params.boundary
  if (!media.type.startsWith('multipart/'))
    throw new MultipartError('malformed', `the answer is ${media.type || 'untyped'}, not multipart`, 0)
  if (!boundary || !BOUNDARY.test(boundary)) throw new MultipartError('malformed', 'the multipart Content-Type has no valid boundary', 0)
  return boundary
}

const CRLF = Buffer.from('\r\n')
const DASH_DASH = Buffer.from('--')

function headerEnd(buffer: Buffer): { at: number; length: number } | null {
  const crlf = buffer.indexOf('\r\n\r\n')
  const lf = buffer.indexOf('\n\n')
  if (crlf === -1 && lf === -1) return null
  if (lf === -1 || (crlf !== -1 && crlf < lf)) return { at: crlf, length: 4 }
  return { at: lf, length: 2 }
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const line of block.split(/\r?\n/)) {
    if (!line.trim()) continue
    const colon = line.indexOf(':')
    if (colon <= 0) throw new Error(`a part header line is not "name: value"`)
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return headers
}

/**
 * Reads `stream` part by part and awaits `onPart` for each (so a slow consumer slows the reading:
 * back-pressure, not buffering). `partType`: the media type every part must have (a part without a
 * Content-Type takes the body's `type` parameter, `defaultType`). Resolves with the number of parts
 * once the closing delimiter is read; the epilogue after it is not read.
 */
export async function readMultipart(
  stream: AsyncIterable<Uint8Array>,
  boundary: string,
  onPart: (part: MultipartPart) => Promise<void>,
  limits: MultipartLimits & { partType?: string; defaultType?: string },
): Promise<number> {
  const maxPreamble = limits.maxPreambleBytes ?? 64 * 1024
  const maxHeader = limits.maxHeaderBytes ?? 16 * 1024
  // The first delimiter may open the body without a CRLF before it: reading as if one were there finds it the same way.
  const delimiter = Buffer.from(`\r\n--${boundary}`)
  let pending: Buffer = Buffer.from(CRLF)
  type State = 'preamble' | 'after' | 'headers' | 'body' | 'done'
  let state = 'preamble' as State
  let headers: Record<string, string> = {}
  let body: Buffer[] = []
  let bodySize = 0
  let parts = 0
  const fail = (fault: MultipartFault, message: string) => new MultipartError(fault, message, parts)

  /** Consumes what `pending` allows; returns false when it needs more bytes. */
  const step = async (): Promise<boolean> => {
    switch (state) {
      case 'preamble': {
        const at = pending.indexOf(delimiter)
        if (at === -1) {
          if (pending.length > maxPreamble + delimiter.length) throw fail('malformed', `no boundary within the first ${maxPreamble} bytes`)
          return false
        }
        pending = pending.subarray(at + delimiter.length)
        state = 'after'
        return true
      }
      case 'after': {
        // "--" closes the body; else optional transport padding (spaces, tabs), then CRLF, then a part's headers.
        if (pending.length < 2) return false
        if (pending.subarray(0, 2).equals(DASH_DASH)) {
          state = 'done'
          return false
        }
        let i = 0
        while (i < pending.length && (pending[i] === 0x20 || pending[i] === 0x09)) i++
        if (i > 256) throw fail('malformed', 'a boundary line is followed by too much padding')
        if (pending.length < i + 2) return false
        if (pending[i] !== 0x0d || pending[i + 1] !== 0x0a) throw fail('malformed', 'a boundary line does not end in CRLF')
        pending = pending.subarray(i + 2)
        state = 'headers'
        return true
      }
      case 'headers': {
        // A part with no headers at all starts with its blank line right away.
        const end = pending.subarray(0, 2).equals(CRLF) ? { at: 0, length: 2 } : headerEnd(pending)
        if (!end) {
          if (pending.length > maxHeader) throw fail('malformed', `part ${parts + 1} has more than ${maxHeader} bytes of headers`)
          return false
        }
        if (end.at > maxHeader) throw fail('malformed', `part ${parts + 1} has more than ${maxHeader} bytes of headers`)
        try {
          headers = parseHeaders(pending.subarray(0, end.at).toString('latin1'))
        } catch (error) {
          throw fail('malformed', `part ${parts + 1}: ${(error as Error).message}`)
        }
        if (limits.partType) {
          const declared = headers['content-type'] ?? limits.defaultType ?? ''
          const type = parseMediaType(declared).type
          if (type !== limits.partType)
            throw fail('wrong_type', `part ${parts + 1} is ${type || 'untyped'}, not ${limits.partType} (its bytes are not used)`)
        }
        pending = pending.subarray(end.at + end.length)
        body = []
        bodySize = 0
        state = 'body'
        return true
      }
      case 'body': {
        const at = pending.indexOf(delimiter)
        const take = at === -1 ? Math.max(0, pending.length - (delimiter.length - 1)) : at
        if (bodySize + take > limits.maxPartBytes)
          throw fail('too_large', `part ${parts + 1} is larger than the ${Math.round(limits.maxPartBytes / 1024 / 1024)} MiB limit`)
        if (take > 0) {
          // A copy: `pending` is a view of the network chunk, which the next read reuses or drops.
          body.push(Buffer.from(pending.subarray(0, take)))
          bodySize += take
        }
        if (at === -1) {
          pending = pending.subarray(take)
          return false
        }
        pending = pending.subarray(at + delimiter.length)
        const bytes = body.length === 1 ? body[0] : Buffer.concat(body, bodySize)
        body = []
        bodySize = 0
        state = 'after'
        await onPart({ headers, body: bytes, index: parts })
        parts++
        return true
      }
      case 'done':
        return false
    }
  }

  for await (const chunk of stream) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    while (await step());
    if ((state as State) === 'done') return parts
  }
  while (await step());
  if ((state as State) === 'done') return parts
  if ((state as State) === 'preamble') throw fail('malformed', 'the body ended before its first boundary')
  throw fail('truncated', `the body ended after ${parts} complete part(s), without its closing boundary`)
}
