import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataFolder } from '../../src/main/config/dataFolder'
import { openServices, type Services } from '../../src/main/services/openServices'
import { startWebServer, type WebServer } from '../../src/main/web/webServer'
import { decodeWire, encodeWire } from '../../src/shared/wireCodec'
import { importNih } from '../../src/main/cases/nihImporter'
import { HAS_NIH, imageFolder, LABELS_CSV, NIH_256, tempDir } from './helpers'

const dir = tempDir()
let core: Services
let server: WebServer
let origin: string

beforeAll(async () => {
  const rendererDir = join(dir.path, 'renderer')
  mkdirSync(rendererDir)
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>x</title>')
  writeFileSync(join(dir.path, 'secret.txt'), 'secret')
  core = openServices(new DataFolder(join(dir.path, 'data')), { kind: 'web' })
  server = await startWebServer({ core, rendererDir })
  origin = new URL(server.url).origin
})
afterAll(async () => {
  await server.close()
  await core.close()
  dir.cleanup()
})

function connect(token: string, from = origin): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${origin.replace('http', 'ws')}/api?token=${token}`, { origin: from })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

function call(ws: WebSocket, channel: string, request: unknown): Promise<unknown> {
  return new Promise((resolve) => {
    ws.once('message', (data, isBinary) => resolve(decodeWire(isBinary ? new Uint8Array(data as Buffer) : String(data))))
    ws.send(encodeWire({ id: 7, channel, request }))
  })
}

describe('browser mode server', () => {
  it('listens on loopback only with a long random token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/)
  })

  it('serves the renderer with a CSP and refuses paths outside it', async () => {
    const page = await fetch(`${origin}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/)
    expect((await fetch(`${origin}/%2e%2e/secret.txt`)).status).not.toBe(200)
  })

  it('answers contract calls over the socket with the right token', async () => {
    const ws = await connect(server.token)
    expect(await call(ws, 'app:info', {})).toMatchObject({ id: 7, envelope: { ok: true, data: { transport: 'web' } } })
    expect(await call(ws, 'cases:get', { caseId: 'x' })).toMatchObject({ envelope: { ok: false, error: { code: 'invalid_request' } } })
    ws.close()
  })

  it('refuses a wrong token and a foreign origin', async () => {
    await expect(connect('wrong-token')).rejects.toThrow(/403/)
    await expect(connect(server.token, 'http://evil.example')).rejects.toThrow(/403/)
  })
})

describe('wire codec', () => {
  it('sends bytes unencoded in one binary frame and reads them back', () => {
    const bytes = new Uint8Array(70_000).map((_, i) => i % 251)
    const small = Uint8Array.of(1, 2, 3)
    const frame = encodeWire({ a: 1, nested: { bytes, list: [small, 'text'] } })
    expect(frame).toBeInstanceOf(Uint8Array)
    // header + the two payloads, nothing base64-inflated
    expect((frame as Uint8Array).byteLength).toBeLessThan(bytes.byteLength + small.byteLength + 200)
    const back = decodeWire(frame) as { a: number; nested: { bytes: Uint8Array; list: [Uint8Array, string] } }
    expect(back.a).toBe(1)
    expect(back.nested.bytes).toEqual(bytes)
    expect(back.nested.list).toEqual([small, 'text'])
  })

  it('keeps messages without bytes as JSON text, and still reads base64 from older peers', () => {
    expect(encodeWire({ id: 1, request: { caseId: 2 } })).toBe('{"id":1,"request":{"caseId":2}}')
    expect(decodeWire('{"b":{"$bytes":"AQID"}}')).toEqual({ b: Uint8Array.of(1, 2, 3) })
  })

  it('refuses a binary frame whose header or offsets do not fit it', () => {
    expect(() => decodeWire(Uint8Array.of(1, 2))).toThrow(/no header/)
    expect(() => decodeWire(Uint8Array.of(200, 0, 0, 0, 123))).toThrow(/exceeds the frame/)
    const frame = encodeWire({ b: Uint8Array.of(9) }) as Uint8Array
    const forged = new TextEncoder().encode('{"b":{"$bin":[0,50]}}')
    const bad = new Uint8Array(4 + forged.byteLength + 1)
    new DataView(bad.buffer).setUint32(0, forged.byteLength, true)
    bad.set(forged, 4)
    expect(frame.byteLength).toBeGreaterThan(4)
    expect(() => decodeWire(bad)).toThrow(/outside its 1-byte payload/)
  })

  it.runIf(HAS_NIH)("serves a case image as one binary frame holding the file's bytes", async () => {
    const name = readdirSync(NIH_256)
      .filter((n) => n.endsWith('.png'))
      .sort()[0]!
    await importNih(core.store, { imagesDir: imageFolder(dir.path, NIH_256, [name]), labelsCsv: LABELS_CSV })
    const caseId = core.store.worklist.query({ search: name }).rows[0]!.id
    const ws = await connect(server.token)
    const frames: boolean[] = []
    ws.on('message', (_data, isBinary) => frames.push(isBinary))
    const reply = (await call(ws, 'cases:image', { caseId })) as { envelope: { ok: true; data: { mime: string; bytes: Uint8Array } } }
    ws.close()
    expect(frames).toEqual([true])
    expect(reply.envelope.data.mime).toBe('image/png')
    expect(Buffer.from(reply.envelope.data.bytes).equals(readFileSync(join(NIH_256, name)))).toBe(true)
  })
})

describe('case images over HTTP', () => {
  it.runIf(HAS_NIH)('serves the stored bytes with the token, an ETag and 304 when unchanged; refuses the rest by status', async () => {
    const name = readdirSync(NIH_256)
      .filter((n) => n.endsWith('.png'))
      .sort()[1]!
    await importNih(core.store, { imagesDir: imageFolder(join(dir.path, 'http'), NIH_256, [name]), labelsCsv: LABELS_CSV })
    const record = core.store.cases.get(core.store.worklist.query({ search: name }).rows[0]!.id)!
    const url = `${origin}/api/case-image/${record.id}`
    const headers = { 'X-CXR-Lens-Token': server.token }

    const shown = await fetch(`${url}?rendition=display`, { headers })
    expect(shown.status).toBe(200)
    expect(shown.headers.get('content-type')).toBe('image/png')
    expect(shown.headers.get('cache-control')).toBe('private, no-cache')
    expect(shown.headers.get('etag')).toBe(`"${record.sha256}-display"`)
    expect(Buffer.from(await shown.arrayBuffer()).equals(readFileSync(join(NIH_256, name)))).toBe(true)
    const again = await fetch(`${url}?rendition=display`, { headers: { ...headers, 'If-None-Match': `"${record.sha256}-display"` } })
    expect(again.status).toBe(304)
    expect((await fetch(url, { headers })).headers.get('etag')).toBe(`"${record.sha256}-full"`)

    // no token, a wrong one, or one in the query string (a page of another site could put it in an <img>)
    expect((await fetch(url)).status).toBe(403)
    expect((await fetch(url, { headers: { 'X-CXR-Lens-Token': 'wrong' } })).status).toBe(403)
    expect((await fetch(`${url}?token=${server.token}`)).status).toBe(403)
    const refused = async (path: string) => {
      const response = await fetch(`${origin}/api/case-image/${path}`, { headers })
      return [response.status, await response.text()]
    }
    expect(await refused('0')).toEqual([400, 'not a case id: "0"'])
    expect(await refused('1e3')).toEqual([400, 'not a case id: "1e3"'])
    expect(await refused('%2e%2e%2fsecret.txt')).toEqual([400, expect.stringMatching(/^not a case id/)])
    expect(await refused(`${record.id}?rendition=thumb`)).toEqual([400, 'rendition must be display or full, got "thumb"'])
    expect(await refused('999999')).toEqual([404, expect.stringMatching(/Case 999999/)])
  })
})
