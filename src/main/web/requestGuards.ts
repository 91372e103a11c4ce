/**
 * Checks on what a browser-mode client sends before anything acts on it. Each returns a verdict
 * instead of throwing: a request line or header a client controls must never end the process.
 */
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'

export const HOST = '127.0.0.1'

/**
 * The target of a request as a URL, or null when it is not a path (absolute-form `http://[`,
 * `*`) or does not parse. The target is appended to a fixed origin rather than resolved against
 * it, so `//evil.example/x` stays a path instead of naming another host.
 */
export function requestTarget(target: string | undefined): URL | null {
  if (!target || !target.startsWith('/')) return null
  try {
    return new URL(`http://${HOST}${target}`)
  } catch {
    return null
  }
}

/** The origins the page itself is served from (either spelling of loopback, this port). */
function loopbackAuthorities(port: number): string[] {
  return [`${HOST}:${port}`, `localhost:${port}`]
}

/**
 * Host must name this server: a DNS-rebinding page (evil.example resolving to 127.0.0.1) sends
 * its own name and is refused, though it reaches the port.
 */
export function allowedHost(host: string | undefined, port: number): boolean {
  return !!host && loopbackAuthorities(port).includes(host.toLowerCase())
}

export function sameOrigin(origin: string | undefined, port: number): boolean {
  return !!origin && loopbackAuthorities(port).some((authority) => origin.toLowerCase() === `http://${authority}`)
}

/**
 * Answers a raw socket (a refused upgrade, a request the HTTP parser rejected) and closes it
 * once the answer is written, so a peer that never closes its side cannot hold it open.
 */
export function refuseSocket(socket: Duplex, status: number, reason = STATUS_CODES[status] ?? 'Error'): void {
  if (!socket.writable) return void socket.destroy()
  const body = `${reason}\n`
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    () => socket.destroy(),
  )
}

/** The status for an error of Node's HTTP parser (what Node itself would send without a clientError listener). */
export function clientErrorStatus(error: NodeJS.ErrnoException): number {
  if (error.code === 'HPE_HEADER_OVERFLOW') return 431
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408
  return 400
}
