import { readFile, stat } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { CONTENT_SECURITY_POLICY } from '../config/csp'
import { mimeTypeFor } from '../config/mimeTypes'
import { APP_HOST, APP_SCHEME } from './appOrigin'

/** What the protocol handler needs of a request (Electron passes a fetch Request). */
export interface RendererRequest {
  url: string
  method: string
}

// Sent with every answer, errors included: the CSP applies even to a document that lacks the meta
// tag, nosniff stops a file being run as another type, and no-referrer keeps app URLs to itself.
const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
}

function refuse(status: number, reason: string): Response {
  return new Response(reason, { status, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' } })
}

const hasControlCharacter = (s: string) => [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)

/**
 * The file under `root` that a renderer URL names, or why none is served. Percent-encoding is
 * decoded once and the decoded path is checked segment by segment: `..`, `.`, backslashes, NUL and
 * colons (Windows drive letters and alternate data streams) are refused outright rather than
 * normalised, and the result must still lie inside `root`.
 */
export function resolveRendererPath(root: string, url: string): { file: string } | { status: number; reason: string } {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { status: 400, reason: 'malformed URL' }
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return { status: 404, reason: 'unknown host' }
  let path: string
  try {
    path = decodeURIComponent(parsed.pathname)
  } catch {
    return { status: 400, reason: 'malformed percent-encoding in the path' }
  }
  if (path === '' || path === '/') path = '/index.html'
  const segments = path.split('/').slice(1)
  const bad = segments.some((s) => s === '' || s === '.' || s === '..' || /[\\:]/.test(s) || hasControlCharacter(s))
  if (bad) return { status: 403, reason: 'path refused' }
  const base = resolve(root)
  const file = join(base, ...segments)
  const inside = relative(base, file)
  if (!inside || inside.startsWith('..') || isAbsolute(inside)) return { status: 403, reason: 'path refused' }
  return { file }
}

/**
 * Answers one request for the app's custom protocol from the built renderer folder: GET and HEAD of
 * regular files only, each with its content type and the security headers.
 */
export async function serveRendererFile(root: string, request: RendererRequest): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405, 'method not allowed')
  const target = resolveRendererPath(root, request.url)
  if ('status' in target) return refuse(target.status, target.reason)
  try {
    if (!(await stat(target.file)).isFile()) return refuse(404, 'not found')
    const body = request.method === 'HEAD' ? null : await readFile(target.file)
    return new Response(body, {
      status: 200,
      headers: {
        ...SECURITY_HEADERS,
        'Content-Type': mimeTypeFor(target.file),
        // Local files: revalidating costs nothing, and a stale page after an update would be a bug.
        'Cache-Control': 'no-cache',
      },
    })
  } catch {
    return refuse(404, 'not found')
  }
}
