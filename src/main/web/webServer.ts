import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { EVENT_NAMES, type EventName } from '../../shared/channels'
import { decodeWire, encodeWire } from '../../shared/wireCodec'
import type { Core } from '../api/core'
import { createDispatcher } from '../api/dispatch'
import { createHandlers } from '../api/handlers'
import { createSession } from '../api/session'
import { serveStatic } from './staticFiles'

export interface WebServerOptions {
  core: Core
  rendererDir: string
  port?: number
  /** Fixed token for tests; a fresh random one per launch otherwise. */
  token?: string
}

export interface WebServer {
  url: string
  token: string
  close(): Promise<void>
}

const HOST = '127.0.0.1'
const MAX_MESSAGE_BYTES = 1 << 20

function frameBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data
}

function sameToken(given: string | null, token: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * Browser mode: the built renderer over HTTP and the IPC contract over one WebSocket, on loopback
 * only. The socket needs the per-launch token and a same-origin page, so another site open in the
 * same browser cannot drive the workstation.
 */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const token = options.token ?? randomBytes(24).toString('base64url')
  const dispatch = createDispatcher(createHandlers(options.core))
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://${HOST}`)
    if (request.method !== 'GET') return void response.writeHead(405).end()
    void serveStatic(options.rendererDir, url.pathname, response)
  })
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES })

  const allowed = (request: IncomingMessage) => {
    const url = new URL(request.url ?? '/', `http://${HOST}`)
    const { port } = server.address() as AddressInfo
    const origin = request.headers.origin
    const sameOrigin = origin === `http://${HOST}:${port}` || origin === `http://localhost:${port}`
    return url.pathname === '/api' && sameOrigin && sameToken(url.searchParams.get('token'), token)
  }
  server.on('upgrade', (request, socket, head) => {
    if (!allowed(request)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n')
      return
    }
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request))
  })

  sockets.on('connection', (ws: WebSocket) => {
    // One reader session per connection: a page reload opens a new, anonymous one.
    const session = createSession()
    ws.on('message', async (data, isBinary) => {
      let message: { id?: unknown; channel?: unknown; request?: unknown }
      try {
        message = decodeWire(isBinary ? frameBytes(data) : String(data)) as typeof message
      } catch {
        return ws.send(encodeWire({ id: null, envelope: { ok: false, error: { code: 'invalid_request', message: 'Message is not JSON' } } }))
      }
      const envelope = await dispatch(message.channel, message.request, session)
      if (ws.readyState === ws.OPEN) ws.send(encodeWire({ id: message.id, envelope }))
    })
  })
  const broadcast = (event: EventName) => (payload: unknown) => {
    const text = encodeWire({ event, payload })
    for (const client of sockets.clients) if (client.readyState === client.OPEN) client.send(text)
  }
  const [onProgress, onFinished] = EVENT_NAMES.map(broadcast)
  options.core.jobs.on('progress', onProgress)
  options.core.jobs.on('finished', onFinished)

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, HOST, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${HOST}:${port}/?token=${token}`,
    token,
    async close() {
      options.core.jobs.off('progress', onProgress)
      options.core.jobs.off('finished', onFinished)
      for (const client of sockets.clients) client.terminate()
      await new Promise<void>((resolve) => sockets.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
