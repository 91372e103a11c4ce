import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { CONTENT_SECURITY_POLICY } from '../../src/main/config/csp'
import { APP_ENTRY_URL, APP_ORIGIN } from '../../src/main/shell/appOrigin'
import { resolveRendererPath, serveRendererFile } from '../../src/main/shell/rendererFiles'
import { tempDir } from './helpers'

// What the glue asks of Electron's protocol module, recorded so registration is checked without Electron.
const schemes: unknown[] = []
const handlers = new Map<string, (request: Request) => Promise<Response>>()
vi.mock('electron', () => ({
  protocol: {
    registerSchemesAsPrivileged: (list: unknown[]) => schemes.push(...list),
    handle: (scheme: string, fn: (request: Request) => Promise<Response>) => handlers.set(scheme, fn),
  },
}))
const { registerAppScheme, serveAppProtocol } = await import('../../src/main/ipc/appProtocol')

// A stand-in for out/renderer, with a secret beside it that no URL may reach.
const dir = tempDir('cxr-protocol-')
const root = join(dir.path, 'renderer')
mkdirSync(join(root, 'assets'), { recursive: true })
writeFileSync(join(root, 'index.html'), '<!doctype html><title>CXR Lens</title>')
writeFileSync(join(root, 'assets', 'index-abc.js'), 'console.log(1)')
writeFileSync(join(root, 'assets', 'index-abc.css'), 'body{}')
writeFileSync(join(root, 'assets', 'codec.wasm'), new Uint8Array([0, 97, 115, 109]))
writeFileSync(join(root, 'assets', 'logo.svg'), '<svg/>')
writeFileSync(join(root, 'assets', 'blob.xyz'), 'x')
writeFileSync(join(dir.path, 'secret.txt'), 'PATIENT NAME')
mkdirSync(join(root, 'assets', 'folder.js'))
afterAll(() => dir.cleanup())

const get = (url: string, method = 'GET') => serveRendererFile(root, { url, method })

describe('app protocol handler', () => {
  it('serves the renderer entry at / and /index.html as HTML', async () => {
    for (const url of [`${APP_ORIGIN}/`, APP_ORIGIN, APP_ENTRY_URL]) {
      const response = await get(url)
      expect(response.status, url).toBe(200)
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(await response.text()).toContain('<title>CXR Lens</title>')
    }
  })

  it('names each file type correctly and never lets the browser sniff one', async () => {
    const expected: Record<string, string> = {
      'assets/index-abc.js': 'text/javascript; charset=utf-8',
      'assets/index-abc.css': 'text/css; charset=utf-8',
      'assets/codec.wasm': 'application/wasm',
      'assets/logo.svg': 'image/svg+xml',
      'assets/blob.xyz': 'application/octet-stream',
    }
    for (const [path, type] of Object.entries(expected)) {
      const response = await get(`${APP_ORIGIN}/${path}`)
      expect(response.status, path).toBe(200)
      expect(response.headers.get('content-type'), path).toBe(type)
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    }
    expect(new Uint8Array(await (await get(`${APP_ORIGIN}/assets/codec.wasm`)).arrayBuffer())).toEqual(new Uint8Array([0, 97, 115, 109]))
  })

  it('sends the CSP header on every answer, refusals included', async () => {
    const urls = [
      APP_ENTRY_URL,
      `${APP_ORIGIN}/assets/index-abc.js`,
      `${APP_ORIGIN}/missing.js`,
      `${APP_ORIGIN}/%2e%2e%2fsecret.txt`,
      `${APP_ORIGIN}/%E0%A4%A`,
      'cxr-lens://other/index.html',
    ]
    for (const url of urls) {
      const response = await get(url)
      expect(response.headers.get('content-security-policy'), url).toBe(CONTENT_SECURITY_POLICY)
    }
    expect(CONTENT_SECURITY_POLICY).toMatch(/script-src 'self'/)
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval/)
    expect(CONTENT_SECURITY_POLICY).toMatch(/frame-src 'none'/)
  })

  it('refuses every path that leaves the renderer folder, however it is spelled', async () => {
    // Escapes that survive URL parsing: encoded separators, backslashes, NUL, drive letters, streams.
    const attempts = [
      '/..%2fsecret.txt',
      '/..%2Fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/..%5csecret.txt',
      '/assets%5c..%5c..%5csecret.txt',
      '/%2fetc%2fpasswd',
      '/C:%5cWindows%5cwin.ini',
      '/index.html%00.png',
      '/index.html::$DATA',
      '/..\\secret.txt',
    ]
    for (const path of attempts) {
      const response = await get(`${APP_ORIGIN}${path}`)
      expect(response.status, path).toBe(403)
      expect(await response.text()).not.toContain('PATIENT')
    }
    // Dot segments, plain or percent-encoded, are removed by the URL parser: they stay inside the folder.
    for (const path of ['/assets/../../secret.txt', '/%2e%2e/secret.txt', '/.%2e/secret.txt', '/%2E%2E/%2E%2E/secret.txt']) {
      const normalised = await get(`${APP_ORIGIN}${path}`)
      expect(normalised.status, path).toBe(404)
      expect(await normalised.text()).not.toContain('PATIENT')
    }
  })

  it('answers malformed, foreign and non-file requests with a status, never a throw', async () => {
    expect((await get(`${APP_ORIGIN}/%`)).status).toBe(400)
    expect((await get(`${APP_ORIGIN}/%E0%A4%A`)).status).toBe(400)
    expect((await get('not a url')).status).toBe(400)
    expect((await get('cxr-lens://evil.example/index.html')).status).toBe(404)
    expect((await get('https://app/index.html')).status).toBe(404)
    expect((await get(`${APP_ORIGIN}/assets/folder.js`)).status).toBe(404)
    expect((await get(`${APP_ORIGIN}/assets/`)).status).toBe(403)
    expect((await get(`${APP_ORIGIN}/nothing-here.js`)).status).toBe(404)
    expect((await get(APP_ENTRY_URL, 'POST')).status).toBe(405)
    const head = await get(APP_ENTRY_URL, 'HEAD')
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })

  it('resolves only to files inside the root', () => {
    expect(resolveRendererPath(root, `${APP_ORIGIN}/assets/index-abc.js`)).toEqual({ file: join(root, 'assets', 'index-abc.js') })
    expect(resolveRendererPath(root, `${APP_ORIGIN}/..%2f`)).toEqual({ status: 403, reason: 'path refused' })
  })
})

describe('app protocol registration', () => {
  it('registers a standard, secure scheme without CORS or a CSP bypass', () => {
    registerAppScheme()
    expect(schemes).toEqual([{ scheme: 'cxr-lens', privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }])
  })

  it('serves the given renderer folder through protocol.handle', async () => {
    serveAppProtocol(root)
    const handler = handlers.get('cxr-lens')!
    const response = await handler(new Request(`${APP_ORIGIN}/assets/index-abc.js`))
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('console.log(1)')
    expect((await handler(new Request(`${APP_ORIGIN}/%2e%2e%2fsecret.txt`))).status).toBe(403)
  })
})
