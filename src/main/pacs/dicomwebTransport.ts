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

export function cancelledError(): Error {
  const error = new Error('The PACS request was cancelled')
  error.name = 'AbortError'
  return error
}
