import { readFile } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import type { ServerResponse } from 'node:http'
import { CONTENT_SECURITY_POLICY } from '../config/csp'

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
}

function plain(response: ServerResponse, status: number, text: string): void {
  if (response.headersSent) return void response.destroy()
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }).end(text)
}

/** The file a URL path names inside root, or why not: bad percent-encoding is the client's error, escaping root is refused. */
export function resolveStatic(root: string, urlPath: string): { file: string } | { status: 400 | 403; reason: string } {
  let relative: string
  try {
    relative = decodeURIComponent(urlPath === '/' ? '/index.html' : urlPath)
  } catch {
    return { status: 400, reason: 'malformed percent-encoding in the path' }
  }
  // a NUL makes fs throw a TypeError; it never names a file of the renderer
  if (relative.includes('\0')) return { status: 400, reason: 'NUL in the path' }
  const file = normalize(join(root, relative))
  if (!file.startsWith(normalize(root) + sep)) return { status: 403, reason: 'forbidden' }
  return { file }
}

/**
 * Serves the built renderer; paths that escape the folder are refused. Never rejects: every
 * failure is answered (400/403/404/500), since a dropped promise here would end browser mode.
 */
export async function serveStatic(root: string, urlPath: string, response: ServerResponse): Promise<void> {
  const target = resolveStatic(root, urlPath)
  if (!('file' in target)) return plain(response, target.status, target.reason)
  let body: Buffer
  try {
    body = await readFile(target.file)
  } catch {
    return plain(response, 404, 'not found')
  }
  try {
    response.writeHead(200, {
      'Content-Type': MIME[extname(target.file)] ?? 'application/octet-stream',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': extname(target.file) === '.html' ? 'no-store' : 'max-age=3600',
    })
    response.end(body)
  } catch {
    // the client went away while the file was read: nothing left to answer
    response.destroy()
  }
}
