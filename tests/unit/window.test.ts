import { afterEach, describe, expect, it, vi } from 'vitest'
import { APP_ENTRY_URL } from '../../src/main/shell/appOrigin'
import { EXTERNAL_URL_ALLOWLIST, isAllowedExternalUrl } from '../../src/main/shell/externalLinks'
import { chooseRendererUrl } from '../../src/main/shell/rendererUrl'

// Records what the shell asks of Electron, so the security settings are checked without a display.
type Handler = (...args: unknown[]) => void
interface Created {
  options: Record<string, unknown>
  handlers: Map<string, Handler>
  openHandler?: (d: { url: string }) => unknown
  loaded: string[]
}
const created: Created[] = []
const opened: string[] = []
const electronApp = { isPackaged: true as boolean | undefined }
const sessionCalls: { permission?: Handler; check?: (...args: unknown[]) => boolean; headers?: Handler } = {}
vi.mock('electron', () => {
  class BrowserWindow {
    webContents: Record<string, unknown>
    private record: Created
    constructor(options: Record<string, unknown>) {
      const handlers = new Map<string, Handler>()
      const record: Created = { options, handlers, loaded: [] }
      this.record = record
      created.push(record)
      this.webContents = {
        on: (name: string, fn: Handler) => handlers.set(name, fn),
        setWindowOpenHandler: (fn: (d: { url: string }) => unknown) => (record.openHandler = fn),
        getURL: () => APP_ENTRY_URL,
      }
    }
    once() {}
    loadFile(file: string) {
      this.record.loaded.push(`loadFile:${file}`)
      return Promise.resolve()
    }
    loadURL(url: string) {
      this.record.loaded.push(url)
      return Promise.resolve()
    }
  }
  return {
    app: electronApp,
    BrowserWindow,
    shell: { openExternal: async (url: string) => void opened.push(url) },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: (fn: Handler) => (sessionCalls.headers = fn) },
        setPermissionRequestHandler: (fn: Handler) => (sessionCalls.permission = fn),
        setPermissionCheckHandler: (fn: (...args: unknown[]) => boolean) => (sessionCalls.check = fn),
      },
    },
  }
})

const { createMainWindow, installContentSecurityPolicy } = await import('../../src/main/window')

afterEach(() => {
  delete process.env.ELECTRON_RENDERER_URL
  electronApp.isPackaged = true
  vi.restoreAllMocks()
})

describe('main window', () => {
  it('is isolated, sandboxed, without Node, webviews or insecure content in the renderer', () => {
    createMainWindow()
    const prefs = created[0].options.webPreferences as Record<string, unknown>
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    })
    expect(String(prefs.preload)).toMatch(/preload[/\\]index\.js$/)
  })

  it('loads the renderer from the app protocol, never file://', () => {
    expect(created[0].loaded).toEqual([APP_ENTRY_URL])
  })

  it('denies navigation away, redirects, webviews and new windows', () => {
    const { handlers, openHandler } = created[0]
    const away = { preventDefault: vi.fn() }
    handlers.get('will-navigate')!(away, 'https://evil.example/')
    expect(away.preventDefault).toHaveBeenCalled()
    const reload = { preventDefault: vi.fn() }
    handlers.get('will-navigate')!(reload, APP_ENTRY_URL)
    expect(reload.preventDefault).not.toHaveBeenCalled()
    for (const name of ['will-redirect', 'will-attach-webview']) {
      const event = { preventDefault: vi.fn() }
      handlers.get(name)!(event, {}, {})
      expect(event.preventDefault, name).toHaveBeenCalled()
    }
    for (const url of ['https://nih.gov/paper', 'file:///etc/passwd', 'smb://server/share', 'cxr-lens://app/index.html']) {
      expect(openHandler!({ url })).toEqual({ action: 'deny' })
    }
    // The shipped allowlist is empty: nothing reaches the system browser.
    expect(opened).toEqual([])
  })

  it('honours the dev-server URL only in an unpackaged app', () => {
    process.env.ELECTRON_RENDERER_URL = 'http://localhost:5173/'
    // The warning goes through the installation log (stderr until a log file is open).
    const warn = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    createMainWindow()
    expect(created.at(-1)!.loaded).toEqual([APP_ENTRY_URL])
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/"level":"warn".*ignored in a packaged app/))
    warn.mockRestore()
    electronApp.isPackaged = false
    createMainWindow()
    expect(created.at(-1)!.loaded).toEqual(['http://localhost:5173/'])
  })

  it('refuses every permission request and check', () => {
    installContentSecurityPolicy()
    const answers: boolean[] = []
    sessionCalls.permission!({}, 'media', (granted: boolean) => answers.push(granted))
    expect(answers).toEqual([false])
    expect(sessionCalls.check!({}, 'clipboard-read', 'cxr-lens://app', {})).toBe(false)
    let headers: Record<string, string[]> = {}
    sessionCalls.headers!({ responseHeaders: {} }, (r: { responseHeaders: Record<string, string[]> }) => (headers = r.responseHeaders))
    expect(headers['Content-Security-Policy'][0]).toMatch(/^default-src 'self'; script-src 'self'/)
  })
})

describe('dev-server URL rule', () => {
  it('uses the app protocol without a dev URL, or when packaged (or the flag is missing)', () => {
    expect(chooseRendererUrl({}, false)).toEqual({ url: APP_ENTRY_URL })
    expect(chooseRendererUrl({ ELECTRON_RENDERER_URL: 'http://localhost:5173' }, true).url).toBe(APP_ENTRY_URL)
    expect(chooseRendererUrl({ ELECTRON_RENDERER_URL: 'http://localhost:5173' }, undefined).url).toBe(APP_ENTRY_URL)
  })

  it('accepts only an http(s) server on this machine when unpackaged', () => {
    for (const url of ['http://localhost:5173/', 'http://127.0.0.1:5173', 'https://[::1]:5173/']) {
      expect(chooseRendererUrl({ ELECTRON_RENDERER_URL: url }, false), url).toEqual({ url })
    }
    for (const url of [
      'https://evil.example/',
      'http://localhost.evil.example/',
      'file:///tmp/x.html',
      'http://user:pw@localhost/',
      'javascript:alert(1)',
      'http://[',
    ]) {
      const choice = chooseRendererUrl({ ELECTRON_RENDERER_URL: url }, false)
      expect(choice.url, url).toBe(APP_ENTRY_URL)
      expect(choice.ignored, url).toMatch(/not an http\(s\) URL on this machine/)
    }
  })
})

describe('openExternal allowlist', () => {
  const list = ['https://www.nih.gov/news-events/', 'https://nihcc.app.box.com/v/ChestXray-NIHCC']

  it('ships empty, so no URL is opened', () => {
    expect(EXTERNAL_URL_ALLOWLIST).toEqual([])
    expect(isAllowedExternalUrl('https://www.nih.gov/news-events/x')).toBe(false)
  })

  it('admits https URLs under a listed prefix only', () => {
    expect(isAllowedExternalUrl('https://www.nih.gov/news-events/nih-clinical-center', list)).toBe(true)
    expect(isAllowedExternalUrl('https://nihcc.app.box.com/v/ChestXray-NIHCC', list)).toBe(true)
    for (const url of [
      'http://www.nih.gov/news-events/x',
      'https://www.nih.gov/other/',
      'https://www.nih.gov.evil.example/news-events/',
      'https://evil.example/?https://www.nih.gov/news-events/',
      'https://user@www.nih.gov/news-events/x',
      'https://www.nih.gov:8443/news-events/x',
      'file:///etc/passwd',
      'smb://server/share',
      'ms-msdt:/id PCWDiagnostic',
      'not a url',
    ]) {
      expect(isAllowedExternalUrl(url, list), url).toBe(false)
    }
  })
})
