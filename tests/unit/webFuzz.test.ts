/**
 * Browser mode against hostile clients: a few hundred malformed HTTP requests over raw TCP and
 * malformed WebSocket handshakes and messages, fixed cases plus seeded random bytes. Each must be
 * answered (a 4xx status, an `invalid_request` envelope, or a WebSocket close code) and afterwards
 * the same server must still serve the page and a valid `app:info` over a fresh socket, with no
 * uncaught exception or unhandled rejection in the process.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { connect as tcpConnect } from 'node:net'
import { join } from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataFolder } from '../../src/main/config/dataFolder'
import { openServices, type Services } from '../../src/main/services/openServices'
import { startWebServer, type WebServer } from '../../src/main/web/webServer'
import { MAX_HEATMAP_CELLS } from '../../src/shared/contract'
import { seededRandom } from '../../src/shared/random'
import { decodeWire, encodeWire, MAX_MESSAGE_BYTES } from '../../src/shared/wireCodec'
import { tempDir } from './helpers'

const dir = tempDir('cxr-fuzz-')
let core: Services
let server: WebServer
let port: number
let host: string
const faults: string[] = []
const processErrors: unknown[] = []
const onProcessError = (error: unknown) => void processErrors.push(error)

beforeAll(async () => {
  process.on('uncaughtException', onProcessError)
  process.on('unhandledRejection', onProcessError)
  const rendererDir = join(dir.path, 'renderer')
  mkdirSync(rendererDir)
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>fuzz</title>')
  writeFileSync(join(dir.path, 'secret.txt'), 'secret')
  core = openServices(new DataFolder(join(dir.path, 'data')), { kind: 'web' })
  server = await startWebServer({ core, rendererDir, log: (message) => void faults.push(message) })
  port = Number(new URL(server.url).port)
  host = `127.0.0.1:${port}`
})
afterAll(async () => {
  process.off('uncaughtException', onProcessError)
  process.off('unhandledRejection', onProcessError)
  await server?.close()
  await core?.close()
  dir.cleanup()
})

const random = seededRandom(20_261_101)
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
const randomBuffer = (length: number) => Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)))

/** Runs `task` over items with a bounded number in flight. */
async function inBatches<T, R>(items: readonly T[], size: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = []
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(task))))
  return out
}

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3}) /

/**
 * Sends raw bytes over TCP; the status of the first answer line (null: none). Two clocks: up to
 * `answer` ms for the status line, then up to `linger` ms for the server to close the socket (so it
 * reads whatever followed, frames after a 101 included, and nothing is cut off under it). The long
 * `answer` costs nothing where the server answers, and a loaded machine's slow answer is not taken for
 * silence; before, one clock of 1.5 s covered both.
 */
function raw(bytes: string | Buffer, { answer = 10_000, linger = 1500 } = {}): Promise<{ status: number | null; text: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    const socket = tcpConnect(port, '127.0.0.1')
    let finished = false
    let answered = false
    const done = () => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      socket.destroy()
      const text = Buffer.concat(chunks).toString('latin1')
      const status = STATUS_LINE.exec(text)
      resolve({ status: status ? Number(status[1]) : null, text })
    }
    let timer = setTimeout(done, answer)
    socket.on('data', (chunk) => {
      chunks.push(chunk)
      if (answered || !STATUS_LINE.test(Buffer.concat(chunks).toString('latin1'))) return
      answered = true
      clearTimeout(timer)
      timer = setTimeout(done, linger)
    })
    socket.on('error', done)
    socket.on('close', done)
    socket.write(bytes)
  })
}

const wsHeaders = (extra = '') =>
  `Host: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n${extra}`
const origin = () => `http://${host}`
const get = (target: string, headers = `Host: ${host}\r\n`) => `GET ${target} HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`

function fixedHttpCases(): Array<[name: string, bytes: string | Buffer, statuses: Array<number | null>]> {
  const token = server.token
  const good = `/api?token=${token}`
  return [
    ['lone percent', get('/%'), [400]],
    ['truncated UTF-8 escape', get('/%E0%A4%A'), [400]],
    ['overlong UTF-8 escape', get('/%C0%AF'), [400]],
    ['percent-encoded NUL', get('/index.html%00'), [400]],
    ['absolute-form with a bad host', 'GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', [400]],
    ['absolute-form target', `GET http://${host}/ HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, [400]],
    ['asterisk target', get('*'), [400]],
    ['traversal, encoded', get('/%2e%2e/secret.txt'), [403, 404]],
    ['traversal, encoded slashes', get('/..%2f..%2fsecret.txt'), [403, 404]],
    ['protocol-relative path', get('//evil.example/x'), [404]],
    ['directory', get('/assets/'), [404]],
    ['missing file', get('/nope.js'), [404]],
    ['foreign Host (DNS rebinding)', get('/', `Host: evil.example:${port}\r\n`), [403]],
    ['Host on another port', get('/', 'Host: 127.0.0.1:1\r\n'), [403]],
    ['no Host (HTTP/1.0)', 'GET / HTTP/1.0\r\n\r\n', [403]],
    ['empty Host', get('/', 'Host: \r\n'), [403, 400]],
    ['POST', `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc`, [405]],
    ['PUT', `PUT /index.html HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`, [405]],
    ['DELETE', `DELETE / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, [405]],
    ['OPTIONS', `OPTIONS / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, [405]],
    ['TRACE', `TRACE / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, [405]],
    ['CONNECT', `CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n`, [405]],
    ['unknown method', `BREW / HTTP/1.1\r\nHost: ${host}\r\n\r\n`, [400]],
    ['lower-case method', `get / HTTP/1.1\r\nHost: ${host}\r\n\r\n`, [400]],
    ['bad version', `GET / HTTP/9.9\r\nHost: ${host}\r\n\r\n`, [400, 505]],
    // llhttp reads this as HTTP/0.9, which has no Host: refused for that
    ['no version', 'GET /\r\n\r\n', [400, 403]],
    ['request line of spaces', '   \r\n\r\n', [400]],
    ['header without colon', `GET / HTTP/1.1\r\nHost: ${host}\r\nBroken header\r\n\r\n`, [400]],
    ['space before colon', `GET / HTTP/1.1\r\nHost : ${host}\r\n\r\n`, [400]],
    ['NUL in a header value', `GET / HTTP/1.1\r\nHost: ${host}\r\nX-A: a\0b\r\n\r\n`, [400]],
    ['obsolete line folding', `GET / HTTP/1.1\r\nHost: ${host}\r\nX-A: a\r\n b\r\nConnection: close\r\n\r\n`, [200, 400]],
    ['headers over 16 KiB', `GET / HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, [431]],
    ['two Content-Lengths', `GET / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab`, [400]],
    [
      'chunked and Content-Length',
      `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`,
      [400],
    ],
    ['bad chunk size', `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`, [400, 405]],
    ['bare LF line endings', `GET / HTTP/1.1\nHost: ${host}\nConnection: close\n\n`, [200, 400]],
    ['binary garbage', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0xff, 0x00]), [400]],
    ['upgrade: bad path', `GET /x?token=${token} HTTP/1.1\r\n${wsHeaders(`Origin: ${origin()}\r\n`)}\r\n`, [404]],
    ['upgrade: malformed target', `GET http://[ HTTP/1.1\r\n${wsHeaders(`Origin: ${origin()}\r\n`)}\r\n`, [400]],
    ['upgrade: bad percent-encoding', `GET /api%?token=${token} HTTP/1.1\r\n${wsHeaders(`Origin: ${origin()}\r\n`)}\r\n`, [404]],
    ['upgrade: no Origin', `GET ${good} HTTP/1.1\r\n${wsHeaders()}\r\n`, [403]],
    ['upgrade: foreign Origin', `GET ${good} HTTP/1.1\r\n${wsHeaders('Origin: http://evil.example\r\n')}\r\n`, [403]],
    ['upgrade: Origin null', `GET ${good} HTTP/1.1\r\n${wsHeaders('Origin: null\r\n')}\r\n`, [403]],
    ['upgrade: bad token', `GET /api?token=x HTTP/1.1\r\n${wsHeaders(`Origin: ${origin()}\r\n`)}\r\n`, [403]],
    ['upgrade: no token', `GET /api HTTP/1.1\r\n${wsHeaders(`Origin: ${origin()}\r\n`)}\r\n`, [403]],
    [
      'upgrade: token with a multi-byte character',
      `GET /api?token=%E2%82%AC HTTP/1.1\r\n${wsHeaders(`Origin: ${origin()}\r\n`)}\r\n`,
      [403],
    ],
    [
      'upgrade: foreign Host',
      `GET ${good} HTTP/1.1\r\nHost: evil.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nOrigin: http://evil.example\r\n\r\n`,
      [403],
    ],
    [
      'upgrade: not websocket',
      `GET ${good} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nOrigin: ${origin()}\r\n\r\n`,
      [400],
    ],
    [
      'upgrade: no key',
      `GET ${good} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nOrigin: ${origin()}\r\n\r\n`,
      [400],
    ],
    [
      'upgrade: bad key',
      `GET ${good} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short\r\nOrigin: ${origin()}\r\n\r\n`,
      [400],
    ],
    [
      'upgrade: version 99',
      `GET ${good} HTTP/1.1\r\n${wsHeaders(`Origin: ${origin()}\r\n`).replace('Version: 13', 'Version: 99')}\r\n`,
      [400, 426],
    ],
    ['upgrade: POST', `POST ${good} HTTP/1.1\r\n${wsHeaders(`Origin: ${origin()}\r\n`)}Content-Length: 0\r\n\r\n`, [400, 405]],
    [
      'upgrade: garbage after the headers',
      Buffer.concat([Buffer.from(`GET ${good} HTTP/1.1\r\n${wsHeaders(`Origin: ${origin()}\r\n`)}\r\n`), randomBuffer(64)]),
      [101],
    ],
    [
      'upgrade: unmasked frame after the headers',
      Buffer.concat([
        Buffer.from(`GET ${good} HTTP/1.1\r\n${wsHeaders(`Origin: ${origin()}\r\n`)}\r\n`),
        Buffer.from([0x81, 0x04, 0x6e, 0x75, 0x6c, 0x6c]),
      ]),
      [101],
    ],
    [
      'upgrade: frame declaring 2^63 bytes',
      Buffer.concat([
        Buffer.from(`GET ${good} HTTP/1.1\r\n${wsHeaders(`Origin: ${origin()}\r\n`)}\r\n`),
        Buffer.from([0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]),
      ]),
      [101],
    ],
  ]
}

/** Seeded random requests: raw bytes, mutated valid requests, random percent-encoded paths. */
function randomHttpCases(count: number): Array<string | Buffer> {
  const valid = Buffer.from(get('/'))
  const alphabet = '%%%/.0123456789ABCDEFabcdefXYZ?#&=;+~-_'
  return Array.from({ length: count }, (_, i) => {
    if (i % 3 === 0) return randomBuffer(1 + Math.floor(random() * 300))
    if (i % 3 === 1) {
      const bytes = Buffer.from(valid)
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256)
      return bytes
    }
    return get('/' + Array.from({ length: 1 + Math.floor(random() * 24) }, () => pick([...alphabet])).join(''))
  })
}

function openSocket(from = origin()): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${host}/api?token=${server.token}`, { origin: from })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

type Outcome = { reply?: { id: unknown; envelope: { ok: boolean; error?: { code: string } } }; close?: number }

/** Sends one message on a fresh socket: the first answer or the close code. */
async function sendOnce(data: string | Buffer, binary: boolean): Promise<Outcome> {
  const ws = await openSocket()
  return new Promise((resolve) => {
    // Every message is answered or closes the socket; the limit only ends a hung case, so it can be long.
    const timer = setTimeout(() => {
      ws.terminate()
      resolve({})
    }, 10_000)
    ws.on('error', () => {})
    ws.once('message', (frame, isBinary) => {
      clearTimeout(timer)
      ws.close()
      resolve({ reply: decodeWire(isBinary ? new Uint8Array(frame as Buffer) : String(frame)) as Outcome['reply'] })
    })
    ws.once('close', (code) => {
      clearTimeout(timer)
      resolve({ close: code })
    })
    ws.send(data, { binary })
  })
}

function binaryFrame(header: string | Buffer, payload = Buffer.alloc(0), declared?: number): Buffer {
  const head = Buffer.isBuffer(header) ? header : Buffer.from(header)
  const length = Buffer.alloc(4)
  length.writeUInt32LE(declared ?? head.length)
  return Buffer.concat([length, head, payload])
}

function fixedSocketCases(): Array<[name: string, data: string | Buffer, binary: boolean, expected: (o: Outcome) => boolean]> {
  const invalid = (o: Outcome) => o.reply?.envelope.ok === false && o.reply.envelope.error?.code === 'invalid_request'
  const unknown = (o: Outcome) => o.reply?.envelope.ok === false && o.reply.envelope.error?.code === 'unknown_channel'
  const ok = (o: Outcome) => o.reply?.envelope.ok === true
  return [
    ['null', 'null', false, invalid],
    ['array', '[]', false, invalid],
    ['number', '1', false, invalid],
    ['string', '"x"', false, invalid],
    ['true', 'true', false, invalid],
    ['empty object', '{}', false, invalid],
    ['not JSON', 'hello', false, invalid],
    ['empty text', '', false, invalid],
    ['truncated JSON', '{"id":1,"channel":"app:info"', false, invalid],
    ['id is an object', '{"id":{},"channel":"app:info","request":{}}', false, invalid],
    ['id is null', '{"id":null,"channel":"app:info","request":{}}', false, invalid],
    ['id is a very long string', JSON.stringify({ id: 'i'.repeat(10_000), channel: 'app:info', request: {} }), false, invalid],
    ['no channel', '{"id":1}', false, invalid],
    ['channel is a number', '{"id":1,"channel":5}', false, invalid],
    ['channel is an object', '{"id":1,"channel":{"a":1}}', false, invalid],
    ['channel is 100 KB', JSON.stringify({ id: 1, channel: 'c'.repeat(100_000) }), false, invalid],
    ['unknown channel', '{"id":1,"channel":"nope"}', false, unknown],
    ['channel __proto__', '{"id":1,"channel":"__proto__","request":{}}', false, unknown],
    ['channel constructor', '{"id":1,"channel":"constructor","request":{}}', false, unknown],
    ['request is null', '{"id":1,"channel":"app:info","request":null}', false, ok],
    ['request is an array', '{"id":1,"channel":"app:info","request":[]}', false, invalid],
    ['request has __proto__', '{"id":1,"channel":"cases:get","request":{"__proto__":{"caseId":1}}}', false, invalid],
    ['request is a string', '{"id":1,"channel":"cases:get","request":"x"}', false, invalid],
    ['bytes where a number belongs', '{"id":1,"channel":"cases:get","request":{"caseId":{"$bytes":"AQID"}}}', false, invalid],
    ['bad base64', '{"id":1,"channel":"app:info","request":{"$bytes":"***"}}', false, invalid],
    ['deeply nested arrays', `{"id":1,"channel":"app:info","request":${'['.repeat(200_000)}${']'.repeat(200_000)}}`, false, invalid],
    ['binary: 2 bytes', Buffer.from([1, 2]), true, invalid],
    ['binary: header longer than the frame', binaryFrame('{}', undefined, 0xffffffff), true, invalid],
    ['binary: header not JSON', binaryFrame('not json'), true, invalid],
    ['binary: header not UTF-8', binaryFrame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), true, invalid],
    ['binary: header null', binaryFrame('null'), true, invalid],
    [
      'binary: $bin outside the payload',
      binaryFrame('{"id":1,"channel":"app:info","request":{"b":{"$bin":[0,50]}}}', Buffer.from([1])),
      true,
      invalid,
    ],
    [
      'binary: $bin negative',
      binaryFrame('{"id":1,"channel":"app:info","request":{"b":{"$bin":[-5,2]}}}', Buffer.from([1, 2, 3])),
      true,
      invalid,
    ],
    ['binary: $bin not an array', binaryFrame('{"id":1,"channel":"app:info","request":{"b":{"$bin":"x"}}}'), true, invalid],
    [
      'binary: $bin fractional',
      binaryFrame('{"id":1,"channel":"app:info","request":{"b":{"$bin":[0.5,1]}}}', Buffer.from([1, 2])),
      true,
      invalid,
    ],
    [
      'binary: $f64 of 2^40 values',
      binaryFrame('{"id":1,"channel":"app:info","request":{"v":{"$f64":[0,1099511627776]}}}', Buffer.alloc(8)),
      true,
      invalid,
    ],
    [
      'binary: $f64 misaligned',
      binaryFrame('{"id":1,"channel":"heatmaps:saveEdit","request":{"baseId":1,"readerId":1,"values":{"$f64":[3,1]}}}', Buffer.alloc(11)),
      true,
      (o) => o.reply?.envelope.ok === false,
    ],
    ['binary: random bytes', randomBuffer(4096), true, invalid],
    ['text over the limit', Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x20), false, (o) => o.close === 1009],
    ['binary over the limit', Buffer.alloc(MAX_MESSAGE_BYTES + 1), true, (o) => o.close === 1009],
    ['invalid UTF-8 text', Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), false, (o) => o.close === 1007],
    ['lone surrogate bytes in text', Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), false, (o) => o.close === 1007],
  ]
}

describe('browser mode under hostile input', () => {
  it('answers every malformed request line, target, header, method and upgrade with its 4xx', async () => {
    const cases = fixedHttpCases()
    const results = await inBatches(cases, 20, async ([name, bytes, statuses]) => ({ name, statuses, got: (await raw(bytes)).status }))
    const wrong = results.filter((r) => !r.statuses.includes(r.got)).map((r) => `${r.name}: got ${r.got}, expected ${r.statuses.join('|')}`)
    expect(wrong).toEqual([])
  })

  it('answers 300 seeded random requests with a status below 500 (or closes), and keeps serving', async () => {
    const results = await inBatches(randomHttpCases(300), 50, (bytes) => raw(bytes, { linger: 1000 }))
    const serverErrors = results.filter((r) => r.status !== null && r.status >= 500 && r.status !== 505)
    expect(serverErrors).toEqual([])
    // most random input is refused outright by the parser, with an answer rather than a silent drop
    expect(results.filter((r) => r.status !== null && r.status >= 400).length).toBeGreaterThan(150)
    expect((await fetch(`http://${host}/`)).status).toBe(200)
  })

  it('answers every malformed socket message with invalid_request, or closes that socket with its code', async () => {
    const results = await inBatches(fixedSocketCases(), 10, async ([name, data, binary, expected]) => {
      const outcome = await sendOnce(data, binary)
      return { name, outcome, ok: expected(outcome) }
    })
    expect(results.filter((r) => !r.ok).map((r) => `${r.name}: ${JSON.stringify(r.outcome)}`)).toEqual([])
  })

  it('survives 150 seeded random socket messages and raw frames after a valid handshake', async () => {
    const valid = '{"id":1,"channel":"app:info","request":{}}'
    const messages = Array.from({ length: 120 }, (_, i) => {
      if (i % 3 === 0) return { data: randomBuffer(1 + Math.floor(random() * 512)), binary: random() < 0.5 }
      const bytes = Buffer.from(valid)
      for (let k = 0; k < 1 + Math.floor(random() * 3); k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256)
      return { data: i % 3 === 1 ? bytes : binaryFrame(bytes), binary: i % 3 === 2 }
    })
    const outcomes = await inBatches(messages, 20, ({ data, binary }) => sendOnce(data, binary))
    const unexpected = outcomes.filter((o) => !(o.reply ? typeof o.reply.envelope.ok === 'boolean' : o.close === 1007))
    expect(unexpected).toEqual([])
    const handshake = () => `GET /api?token=${server.token} HTTP/1.1\r\n${wsHeaders(`Origin: ${origin()}\r\n`)}\r\n`
    const frames = await inBatches(
      Array.from({ length: 30 }, () => Buffer.concat([Buffer.from(handshake()), randomBuffer(2 + Math.floor(random() * 200))])),
      15,
      (bytes) => raw(bytes, { linger: 1000 }),
    )
    expect(frames.map((f) => f.status)).toEqual(frames.map(() => 101))
  })

  it('carries the largest heatmap edit the contract accepts in one message, to the handler', async () => {
    const values = Array.from({ length: MAX_HEATMAP_CELLS }, (_, i) => -(1 + i / MAX_HEATMAP_CELLS) * 1.2345e-300)
    const request = { baseId: Number.MAX_SAFE_INTEGER, readerId: Number.MAX_SAFE_INTEGER, values }
    const outcome = await sendOnce(
      Buffer.from(encodeWire({ id: Number.MAX_SAFE_INTEGER, channel: 'heatmaps:saveEdit', request }) as Uint8Array),
      true,
    )
    // validated and handled (no such reader or heatmap), not closed as oversize nor refused as invalid
    expect(outcome.close).toBeUndefined()
    expect(outcome.reply?.envelope.ok).toBe(false)
    expect(['not_found', 'forbidden']).toContain(outcome.reply?.envelope.error?.code)
  })

  it('then still serves the page and answers app:info on a fresh socket, with no fault or uncaught error', async () => {
    const page = await fetch(`http://${host}/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<title>fuzz</title>')
    const ws = await openSocket()
    const reply = await new Promise((resolve) => {
      ws.once('message', (data) => resolve(decodeWire(String(data))))
      ws.send(encodeWire({ id: 42, channel: 'app:info', request: {} }))
    })
    ws.close()
    expect(reply).toMatchObject({ id: 42, envelope: { ok: true, data: { transport: 'web' } } })
    expect(faults).toEqual([])
    expect(processErrors).toEqual([])
  })
})
