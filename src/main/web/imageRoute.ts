/**
 * Browser mode's case images over plain HTTP, beside the API socket: GET /api/case-image/<caseId>
 * (optionally ?rendition=display), the launch token in the X-CXR-Lens-Token header. On the one
 * ordered socket a 0.5–9 MB image held back every small answer queued behind it (the heatmap the
 * reader waits for) and arrived in the page's JavaScript heap; over HTTP it travels on its own
 * connection and the browser hands the body to the decoder as a Blob, off the main thread.
 *
 * The bytes are the cases:image channel's (same validation, same errors), so nothing here reads a
 * file itself. Each answer carries an ETag of the image's hash and rendition with `no-cache`: the
 * browser may keep a copy but asks every time (a 304 without a body when unchanged), so a case id
 * that came to name another image (a restored backup) can never show the old one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Envelope } from '../../shared/contract'
import type { ImageBytes } from '../../shared/domain'

export const CASE_IMAGE_PATH = '/api/case-image/'
export const IMAGE_TOKEN_HEADER = 'x-cxr-lens-token'

export interface ImageRouteDeps {
  /** Whether the request carries the launch token. */
  authorized(token: string | null): boolean
  /** The cases:image channel through the dispatcher. */
  image(request: { caseId: number; rendition?: 'display' | 'full' }): Promise<Envelope<unknown>>
  /** The stored image's hash (the ETag's basis), or null when the case is unknown. */
  sha256Of(caseId: number): string | null
}

const STATUS_OF: Record<string, number> = { not_found: 404, invalid_request: 400, forbidden: 403 }

function text(response: ServerResponse, status: number, body: string): void {
  if (response.headersSent) return void response.destroy()
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }).end(body)
}

/** Answers one image request; never rejects (every failure is a status with the reason in words). */
export async function serveCaseImage(url: URL, request: IncomingMessage, response: ServerResponse, deps: ImageRouteDeps): Promise<void> {
  try {
    const token = request.headers[IMAGE_TOKEN_HEADER]
    if (!deps.authorized(typeof token === 'string' ? token : null)) return text(response, 403, 'forbidden')
    const id = url.pathname.slice(CASE_IMAGE_PATH.length)
    if (!/^[1-9][0-9]{0,11}$/.test(id)) return text(response, 400, `not a case id: ${JSON.stringify(id.slice(0, 40))}`)
    const caseId = Number(id)
    const asked = url.searchParams.get('rendition')
    if (asked !== null && asked !== 'display' && asked !== 'full')
      return text(response, 400, `rendition must be display or full, got ${JSON.stringify(asked.slice(0, 40))}`)
    const rendition = asked ?? 'full'
    const sha256 = deps.sha256Of(caseId)
    const etag = sha256 ? `"${sha256}-${rendition}"` : null
    if (etag && request.headers['if-none-match'] === etag) {
      response.writeHead(304, { ETag: etag, 'Cache-Control': 'private, no-cache' }).end()
      return
    }
    const envelope = await deps.image({ caseId, rendition })
    if (!envelope.ok) return text(response, STATUS_OF[envelope.error.code] ?? 500, envelope.error.message)
    const { mime, bytes } = envelope.data as ImageBytes
    response.writeHead(200, {
      'Content-Type': mime,
      'Content-Length': bytes.byteLength,
      'Cache-Control': 'private, no-cache',
      'X-Content-Type-Options': 'nosniff',
      ...(etag ? { ETag: etag } : {}),
    })
    response.end(request.method === 'HEAD' ? undefined : bytes)
  } catch (error) {
    text(response, 500, (error as Error).message)
  }
}
