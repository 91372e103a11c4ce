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

/** Serves the built renderer; paths that escape the folder are refused. */
export async function serveStatic(root: string, urlPath: string, response: ServerResponse): Promise<void> {
  const relative = decodeURIComponent(urlPath === '/' ? '/index.html' : urlPath)
  const file = normalize(join(root, relative))
  if (!file.startsWith(normalize(root) + sep)) {
    response.writeHead(403).end()
    return
  }
  try {
    const body = await readFile(file)
    response.writeHead(200, {
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': extname(file) === '.html' ? 'no-store' : 'max-age=3600',
    })
    response.end(body)
  } catch {
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found')
  }
}
