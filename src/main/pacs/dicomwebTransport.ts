/**
 * The HTTP side of the DICOMweb client (dicomwebClient.ts): credentials as an Authorization header,
 * fetch failures in words, an inactivity deadline that follows the caller's cancel, and the UID check
 * made before a UID becomes part of a URL path.
 */
import type { PacsAuthKind } from '../../shared/pacs'

export type PacsAuth = { kind: 'none' } | { kind: 'basic'; user: string; password: string } | { kind: 'bearer'; token: string }

/** A UID as PS3.5 allows it; checked before it becomes part of a URL path. */
const UID = /^[0-9]+(\.[0-9]+)*$/
export function isUid(value: string): boolean {
  return value.length <= 64 && UID.test(value)
}

export const isAbort = (error: unknown) => (error as { name?: string })?.name === 'AbortError'

export function authorization(auth: PacsAuth): string | null {
  if (auth.kind === 'basic') return `Basic ${Buffer.from(`${auth.user}:${auth.password}`, 'utf8').toString('base64')}`
  if (auth.kind === 'bearer') return `Bearer ${auth.token}`
  return null
}

export function authKind(auth: PacsAuth): PacsAuthKind {
  return auth.kind
}

/** Why fetch failed, in words ("connection refused"), from undici's cause chain. */
export function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause
  const code = cause?.code
  if (code === 'ECONNREFUSED') return 'connection refused (is the PACS running, and is the URL right?)'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host name not found'
  if (code === 'ECONNRESET') return 'the connection was reset'
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'host unreachable'
  if (code && /CERT|SSL|TLS/.test(code)) return `TLS failed (${code})`
  // fetch refuses some well-known ports outright (the Fetch standard's "bad port" list).
  if (cause?.message === 'bad port') return 'fetch refuses that port (a "bad port" of the Fetch standard); use the PACS\'s HTTP port'
  return cause?.message ?? (error as Error)?.message ?? 'network error'
}

/** An abort controller that fires after `ms` without activity, and follows the caller's signal. */
export class Deadline {
  readonly controller = new AbortController()
  timedOut = false
  private finished = false
  private timer: NodeJS.Timeout | null = null
  private readonly onAbort = () => this.controller.abort()

  constructor(
    private readonly ms: number,
    private readonly outer?: AbortSignal,
  ) {
    if (outer?.aborted) this.controller.abort()
    outer?.addEventListener('abort', this.onAbort, { once: true })
    this.touch()
  }

  touch(): void {
    if (this.finished) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timedOut = true
      this.controller.abort()
    }, this.ms)
  }

  /** Stops the clock while we, not the PACS, are the slow side (the import is busy with a part). */
  pause(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  get cancelled(): boolean {
    return this.outer?.aborted ?? false
  }

  done(): void {
    this.finished = true
    if (this.timer) clearTimeout(this.timer)
    this.outer?.removeEventListener('abort', this.onAbort)
  }
}

/*
 * fetch (Node's undici 6) follows the signal it is given only through a WeakRef to a controller of
 * its own, which nothing else holds once fetch has returned: after a garbage collection, aborting the
 * signal stops neither the wait for the answer nor the download of its body. A PACS that went silent
 * then hung a pull past every timeout, and Cancel did nothing (tests/unit/dicomwebClient.test.ts
 * forces a collection to show it). So the deadline's abort ends the waits itself: untilAborted for the
 * answer, bodyChunks (which cancels the body stream, closing the connection) for the body.
 */

const abortError = () => Object.assign(new Error('The PACS request was aborted'), { name: 'AbortError' })

/** `work`, or an AbortError as soon as `signal` aborts (the work is left to settle on its own). */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError())
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/** An answer that comes after its deadline gave up on it: nobody reads its body, so it is cancelled (the connection freed). */
export function releaseLateAnswer(answer: Promise<Response>): void {
  answer.then(
    (late) => late.body?.cancel().catch(() => undefined),
    () => undefined,
  )
}

/**
 * The body's chunks, touching the deadline per chunk; when the deadline aborts (silence or cancel)
 * the stream is cancelled and the read ends with an AbortError. Leaving early also cancels it.
 */
export async function* bodyChunks(body: ReadableStream<Uint8Array>, deadline: Deadline): AsyncGenerator<Uint8Array> {
  const reader = body.getReader()
  const signal = deadline.controller.signal
  // A cancel resolves the pending read as done: the check after each read tells that from the body's end.
  const cancel = () => void reader.cancel(signal.reason).catch(() => undefined)
  signal.addEventListener('abort', cancel, { once: true })
  let ended = false
  try {
    for (;;) {
      if (signal.aborted) throw abortError()
      const { done, value } = await reader.read()
      if (signal.aborted) throw abortError()
      if (done) {
        ended = true
        return
      }
      deadline.touch()
      yield value
    }
  } finally {
    signal.removeEventListener('abort', cancel)
    if (!ended) await reader.cancel().catch(() => undefined)
    reader.releaseLock()
  }
}

export function cancelledError(): Error {
  const error = new Error('The PACS request was cancelled')
  error.name = 'AbortError'
  return error
}
