import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import type { EventName } from '../../shared/channels'
import type { Envelope, EventMap } from '../../shared/contract'
import { encodeWire, MAX_MESSAGE_BYTES } from '../../shared/wireCodec'
import type { Services } from '../services/openServices'
import { createDispatcher } from '../api/dispatch'
import { createHandlers } from '../api/handlers'
import { allowedHost, clientErrorStatus, HOST, refuseSocket, requestTarget, sameOrigin } from './requestGuards'
import { parseSocketMessage, type RequestId } from './socketMessage'
import { createSession } from '../api/session'
import { serveStatic } from './staticFiles'
import { CASE_IMAGE_PATH, serveCaseImage, type ImageRouteDeps } from './imageRoute'
import { log as appLog } from '../logging/log'

export interface WebServerOptions {
  core: Services
  rendererDir: string
  port?: number
  /** Fixed token for tests; a fresh random one per launch otherwise. */
  token?: string
  /** Where internal faults are reported (a client's bad input is answered, not logged). */
  log?: (message: string) => void
}

export interface WebServer {
  url: string
  token: string
  close(): Promise<void>
}

function sameToken(given: string | null, token: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Sends an answer if the socket is still open; an answer that cannot be encoded becomes a `failed` envelope. */
function reply(ws: WebSocket, id: RequestId, envelope: Envelope<unknown>, log: (message: string) => void, serverMs?: number): void {
  if (ws.readyState !== ws.OPEN) return
  let frame: string | Uint8Array
  try {
    frame = encodeWire(serverMs === undefined ? { id, envelope } : { id, envelope, serverMs })
  } catch (error) {
    log(`[web] answer ${JSON.stringify(id)} could not be encoded: ${(error as Error).message}`)
    frame = encodeWire({ id, envelope: { ok: false, error: { code: 'failed', message: 'The answer could not be encoded' } } })
  }
  ws.send(frame)
}

/**
 * Browser mode: the built renderer over HTTP and the IPC contract over one WebSocket, on loopback
 * only. The socket needs the per-launch token and a same-origin page, so another site open in the
 * same browser cannot drive the workstation; every request must name this server in Host, so a
 * DNS-rebinding page cannot read it either. Whatever a client sends is answered (400/403/404/405,
 * `invalid_request`, a WebSocket close code) and the server keeps serving.
 */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const token = options.token ?? randomBytes(24).toString('base64url')
  const log = options.log ?? ((message: string) => appLog().error(message))
  const dispatch = createDispatcher(createHandlers(options.core))
  // Case images over HTTP (imageRoute.ts): the same channel, anonymous as the socket's reading is.
  const images: ImageRouteDeps = {
    authorized: (given) => sameToken(given, token),
    image: (request) => dispatch('cases:image', request),
    sha256Of: (caseId) => (options.core.store.isOpen ? (options.core.store.cases.get(caseId)?.sha256 ?? null) : null),
  }
  // read once listening: address() is null again after close, and a late request must not throw on it
  let listeningPort = 0
  const port = () => listeningPort

  const server = createServer((request, response) => {
    const url = requestTarget(request.url)
    if (!url) return void response.writeHead(400, { 'Content-Type': 'text/plain' }).end('malformed request target')
    if (!allowedHost(request.headers.host, port()))
      return void response.writeHead(403, { 'Content-Type': 'text/plain' }).end('Host not allowed')
    if (request.method !== 'GET' && request.method !== 'HEAD') return void response.writeHead(405, { Allow: 'GET, HEAD' }).end()
    if (url.pathname.startsWith(CASE_IMAGE_PATH)) return void serveCaseImage(url, request, response, images)
    serveStatic(options.rendererDir, url.pathname, response).catch((error: Error) => {
      log(`[web] static ${url.pathname}: ${error.message}`)
      response.destroy()
    })
  })
  // a request Node's parser refuses (bad request line, header, encoding) gets its status and a closed socket
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // after bytes of an answer went out, another status line would corrupt it: just close
    if (error.code === 'ECONNRESET' || (socket as Socket).bytesWritten > 0) return void socket.destroy()
    refuseSocket(socket, clientErrorStatus(error))
  })
  // a client that trickles its headers holds a socket; loopback clients send theirs at once
  server.headersTimeout = 20_000
  server.requestTimeout = 60_000
  // CONNECT (a proxy's method) bypasses the request handler; answered here instead of a silent close
  server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy())
    refuseSocket(socket, 405)
  })
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES })

  /** Why an upgrade is refused, or null when it may become the API socket. */
  const refusal = (request: IncomingMessage): [number, string] | null => {
    const url = requestTarget(request.url)
    if (!url) return [400, 'malformed request target']
    if (!allowedHost(request.headers.host, port())) return [403, 'Host not allowed']
    if (url.pathname !== '/api') return [404, 'not found']
    if (!sameOrigin(request.headers.origin, port()) || !sameToken(url.searchParams.get('token'), token)) return [403, 'forbidden']
    return null
  }
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node removes its own error listener from an upgraded socket: without this, a reset ends the process
    socket.on('error', () => socket.destroy())
    const refused = refusal(request)
    if (refused) return refuseSocket(socket, ...refused)
    // ws answers a non-WebSocket upgrade, a bad key or version itself (400), and reads `head` as frames
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request))
  })

  sockets.on('connection', (ws: WebSocket) => {
    // One reader session per connection: a page reload opens a new, anonymous one.
    const session = createSession()
    // ws has already sent the close (1009 oversize, 1007 invalid UTF-8, 1002 bad frame); unheard, the 'error' would end the process
    ws.on('error', () => {})
    ws.on('message', (data, isBinary) => {
      const parsed = parseSocketMessage(data, isBinary)
      if (!parsed.ok) return reply(ws, parsed.id, parsed.envelope, log)
      const { id, channel, request } = parsed.message
      const started = performance.now()
      dispatch(channel, request, session)
        .catch((error: Error): Envelope<never> => {
          log(`[web] ${channel}: ${error.stack ?? error.message}`)
          return { ok: false, error: { code: 'failed', message: error.message } }
        })
        // serverMs: how long the request took here (the renderer's trace of a case opening shows it beside the round trip)
        .then((envelope) => reply(ws, id, envelope, log, Math.round((performance.now() - started) * 10) / 10))
        .catch((error: Error) => log(`[web] answer to ${channel}: ${error.message}`))
    })
  })
  const broadcast = (event: EventName) => (payload: unknown) => {
    const text = encodeWire({ event, payload })
    for (const client of sockets.clients) if (client.readyState === client.OPEN) client.send(text)
  }
  // By name, never by position in EVENT_NAMES: the record must name every event (adding one fails to compile here).
  const forward: { [E in EventName]: (payload: EventMap[E]) => void } = {
    'job:progress': broadcast('job:progress'),
    'job:finished': broadcast('job:finished'),
    'background:status': broadcast('background:status'),
    'background:results': broadcast('background:results'),
  }
  const onProgress = forward['job:progress']
  const onFinished = forward['job:finished']
  const onBackgroundStatus = forward['background:status']
  const onBackgroundResults = forward['background:results']
  options.core.jobs.on('progress', onProgress)
  options.core.jobs.on('finished', onFinished)
  options.core.background.on('status', onBackgroundStatus)
  options.core.background.on('results', onBackgroundResults)

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, HOST, () => resolve())
  })
  listeningPort = (server.address() as AddressInfo).port
  return {
    url: `http://${HOST}:${port()}/?token=${token}`,
    token,
    async close() {
      options.core.jobs.off('progress', onProgress)
      options.core.jobs.off('finished', onFinished)
      options.core.background.off('status', onBackgroundStatus)
      options.core.background.off('results', onBackgroundResults)
      for (const client of sockets.clients) client.terminate()
      await new Promise<void>((resolve) => sockets.close(() => resolve()))
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
