import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openCore, type Core } from '../../src/main/api/core'
import { startWebServer, type WebServer } from '../../src/main/web/webServer'
import { decodeWire, encodeWire } from '../../src/shared/wireCodec'
import { tempDir } from './helpers'

const dir = tempDir()
let core: Core
let server: WebServer
let origin: string

beforeAll(async () => {
  const rendererDir = join(dir.path, 'renderer')
  mkdirSync(rendererDir)
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>x</title>')
  writeFileSync(join(dir.path, 'secret.txt'), 'secret')
  core = openCore(join(dir.path, 'data'), 'web')
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
    ws.once('message', (data) => resolve(decodeWire(String(data))))
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
  it('round-trips bytes inside JSON', () => {
    const bytes = new Uint8Array(70_000).map((_, i) => i % 251)
    const back = decodeWire(encodeWire({ a: 1, nested: { bytes } })) as { nested: { bytes: Uint8Array } }
    expect(back.nested.bytes).toEqual(bytes)
  })
})
