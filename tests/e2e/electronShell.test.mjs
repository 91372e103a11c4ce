// Boots the BUILT desktop shell (out/main/index.js) against a stand-in `electron` module, since the
// Electron binary cannot be downloaded here: checks that the bundle wires single-instance lock,
// the privileged app protocol (registered before ready, serving out/renderer with CSP and refusing
// traversal), window security, preload path, CSP and IPC exactly as the real app would, that a
// packaged app ignores ELECTRON_RENDERER_URL, and that the sandboxed preload bundle requires
// nothing but 'electron'.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import Module, { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const require = createRequire(import.meta.url)

/** Channel names as declared in src/shared/channels.ts (plain Node cannot import the .ts file). */
function contractChannels() {
  const source = readFileSync(join(repoRoot, 'src/shared/channels.ts'), 'utf8')
  const block = /export const CHANNELS = \[([^\]]+)\]/.exec(source)[1]
  const names = [...block.matchAll(/'([a-z]+:[a-zA-Z]+)'/g)].map((m) => m[1])
  assert.ok(names.length >= 10, 'read the channel list')
  return names
}

function fakeElectron(userData, { isPackaged = true } = {}) {
  const state = {
    windows: [],
    handlers: new Map(),
    readyCallbacks: [],
    cspHeaders: null,
    quit: false,
    schemes: [],
    protocols: new Map(),
    ready: false,
    schemesBeforeReady: false,
    appEvents: new Map(),
    permissionCheck: null,
  }
  class BrowserWindow {
    constructor(options) {
      this.options = options
      this.loaded = null
      const mainFrame = {}
      const events = new Map()
      this.webContents = {
        mainFrame,
        events,
        on(name, fn) {
          events.set(name, fn)
        },
        // ipc/register resets a page's reader session when its webContents is destroyed
        once(name, fn) {
          events.set(name, fn)
        },
        setWindowOpenHandler(fn) {
          this.openHandler = fn
        },
        send() {},
        getURL: () => this.loaded,
      }
      state.windows.push(this)
    }
    once() {}
    on() {}
    loadFile(file) {
      this.loaded = file
      return Promise.resolve()
    }
    loadURL(url) {
      this.loaded = url
      return Promise.resolve()
    }
  }
  const electron = {
    app: {
      isPackaged,
      setName() {},
      requestSingleInstanceLock: () => true,
      on(name, fn) {
        state.appEvents.set(name, fn)
      },
      whenReady: () => {
        state.schemesBeforeReady = state.schemes.length > 0
        state.ready = true
        return Promise.resolve()
      },
      getPath: (name) => (name === 'userData' ? userData : tmpdir()),
      quit() {
        state.quit = true
      },
      exit() {
        state.quit = true
      },
    },
    BrowserWindow,
    ipcMain: { handle: (channel, fn) => state.handlers.set(channel, fn), removeHandler() {} },
    dialog: {
      showErrorBox: (title, message) => {
        throw new Error(`${title}: ${message}`)
      },
      showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
    },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: (fn) => fn({ responseHeaders: {} }, (r) => (state.cspHeaders = r.responseHeaders)) },
        setPermissionRequestHandler() {},
        setPermissionCheckHandler(fn) {
          state.permissionCheck = fn
        },
      },
    },
    protocol: {
      registerSchemesAsPrivileged(list) {
        if (state.ready) throw new Error('schemes registered after ready')
        state.schemes.push(...list)
      },
      handle(scheme, fn) {
        state.protocols.set(scheme, fn)
      },
    },
    shell: { openExternal: async () => {} },
  }
  return { electron, state }
}

/** Loads out/main/index.js with the stand-in electron (fresh each time: the bundle runs on require). */
async function bootShell(userData, options, env = {}) {
  const { electron, state } = fakeElectron(userData, options)
  const originalLoad = Module._load
  const saved = { ...process.env }
  Object.assign(process.env, env)
  Module._load = function (request, ...rest) {
    return request === 'electron' ? electron : originalLoad.call(this, request, ...rest)
  }
  const entry = join(repoRoot, 'out/main/index.js')
  for (const key of Object.keys(require.cache)) if (key.startsWith(join(repoRoot, 'out/main'))) delete require.cache[key]
  try {
    require(entry)
    await new Promise((r) => setTimeout(r, 200))
  } finally {
    Module._load = originalLoad
    for (const key of Object.keys(env)) {
      if (key in saved) process.env[key] = saved[key]
      else delete process.env[key]
    }
  }
  return state
}

test('the built Electron shell boots with a secure window, the app protocol and the full IPC contract', async () => {
  const userData = mkdtempSync(join(tmpdir(), 'cxr-shell-'))
  try {
    const state = await bootShell(userData, { isPackaged: true }, { ELECTRON_RENDERER_URL: 'https://evil.example/' })
    assert.equal(state.windows.length, 1, 'one window created')
    const [window] = state.windows
    const prefs = window.options.webPreferences
    assert.deepEqual(
      [prefs.contextIsolation, prefs.sandbox, prefs.nodeIntegration, prefs.webSecurity, prefs.webviewTag],
      [true, true, false, true, false],
    )
    assert.ok(existsSync(prefs.preload), `preload bundle exists at ${prefs.preload}`)

    // The renderer comes from the privileged scheme, registered before ready; the dev URL is ignored when packaged.
    assert.equal(window.loaded, 'cxr-lens://app/index.html')
    assert.ok(state.schemesBeforeReady, 'privileged scheme registered before ready')
    assert.deepEqual(state.schemes, [
      { scheme: 'cxr-lens', privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
    ])
    const serve = state.protocols.get('cxr-lens')
    assert.ok(serve, 'protocol.handle registered for cxr-lens')
    const page = await serve(new Request(window.loaded))
    assert.equal(page.status, 200)
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8')
    assert.match(page.headers.get('content-security-policy'), /default-src 'self'; script-src 'self'/)
    const html = await page.text()
    const script = /<script[^>]+src="([^"]+)"/.exec(html)[1]
    const asset = await serve(new Request(new URL(script, window.loaded).href))
    assert.equal(asset.status, 200, `the page's script ${script} is served`)
    assert.equal(asset.headers.get('content-type'), 'text/javascript; charset=utf-8')
    for (const path of ['/..%2fmain%2findex.js', '/..%2f..%2fpackage.json', '/%2e%2e%2fpreload%2findex.js']) {
      assert.equal((await serve(new Request(`cxr-lens://app${path}`))).status, 403, path)
    }

    // Navigation, webviews and permission checks are refused; new web contents get the same treatment.
    const away = {
      prevented: false,
      preventDefault() {
        this.prevented = true
      },
    }
    window.webContents.events.get('will-navigate')(away, 'https://evil.example/')
    assert.ok(away.prevented, 'navigation away refused')
    assert.ok(window.webContents.events.has('will-attach-webview'))
    assert.deepEqual(window.webContents.openHandler({ url: 'https://evil.example/' }), { action: 'deny' })
    const other = {
      events: new Map(),
      on(name, fn) {
        this.events.set(name, fn)
      },
      setWindowOpenHandler(fn) {
        this.openHandler = fn
      },
      getURL: () => 'cxr-lens://app/index.html',
    }
    state.appEvents.get('web-contents-created')({}, other)
    const webview = {
      prevented: false,
      preventDefault() {
        this.prevented = true
      },
    }
    other.events.get('will-attach-webview')(webview)
    assert.ok(webview.prevented, 'any new web contents refuses webviews')
    assert.deepEqual(other.openHandler({ url: 'https://evil.example/' }), { action: 'deny' })
    assert.equal(state.permissionCheck(), false)

    assert.match(state.cspHeaders['Content-Security-Policy'][0], /default-src 'self'; script-src 'self'/)
    assert.deepEqual([...state.handlers.keys()].sort(), contractChannels().sort())
    const own = { sender: window.webContents, senderFrame: window.webContents.mainFrame }
    const info = await state.handlers.get('app:info')(own, {})
    assert.equal(info.ok, true)
    assert.equal(info.data.dataDir, userData, 'uses Electron userData when no override is given')
    assert.equal(info.data.transport, 'electron')
    assert.ok(existsSync(join(userData, 'cxr-lens.sqlite')), 'database created in userData')
    const foreign = await state.handlers.get('cases:list')({ sender: {}, senderFrame: {} }, {})
    assert.equal(foreign.error.code, 'forbidden')
    await state.appEvents.get('will-quit')?.()
  } finally {
    rmSync(userData, { recursive: true, force: true })
  }
})

test('an unpackaged shell loads the dev server named by ELECTRON_RENDERER_URL', async () => {
  const userData = mkdtempSync(join(tmpdir(), 'cxr-shell-dev-'))
  try {
    const state = await bootShell(userData, { isPackaged: false }, { ELECTRON_RENDERER_URL: 'http://localhost:5173/' })
    assert.equal(state.windows[0].loaded, 'http://localhost:5173/')
    await state.appEvents.get('will-quit')?.()
  } finally {
    rmSync(userData, { recursive: true, force: true })
  }
})

test('the sandboxed preload bundle requires only electron', () => {
  const preload = readFileSync(join(repoRoot, 'out/preload/index.js'), 'utf8')
  const requires = [...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1])
  assert.deepEqual([...new Set(requires)], ['electron'])
  assert.doesNotMatch(preload, /exposeInMainWorld\(["']ipcRenderer/)
})
