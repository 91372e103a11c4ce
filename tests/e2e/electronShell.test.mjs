// Boots the BUILT desktop shell (out/main/index.js) against a stand-in `electron` module, since the
// Electron binary cannot be downloaded here: checks that the bundle wires single-instance lock,
// window security, preload path, CSP and IPC exactly as the real app would, and that the sandboxed
// preload bundle requires nothing but 'electron'.
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

function fakeElectron(userData) {
  const state = { windows: [], handlers: new Map(), readyCallbacks: [], cspHeaders: null, quit: false }
  class BrowserWindow {
    constructor(options) {
      this.options = options
      this.loaded = null
      const mainFrame = {}
      this.webContents = {
        mainFrame,
        on() {},
        setWindowOpenHandler(fn) { this.openHandler = fn },
        send() {},
        getURL: () => 'file:///index.html',
      }
      state.windows.push(this)
    }
    once() {}
    on() {}
    loadFile(file) { this.loaded = file; return Promise.resolve() }
    loadURL(url) { this.loaded = url; return Promise.resolve() }
  }
  const electron = {
    app: {
      setName() {},
      requestSingleInstanceLock: () => true,
      on() {},
      whenReady: () => Promise.resolve(),
      getPath: (name) => (name === 'userData' ? userData : tmpdir()),
      quit() { state.quit = true },
      exit() { state.quit = true },
    },
    BrowserWindow,
    ipcMain: { handle: (channel, fn) => state.handlers.set(channel, fn), removeHandler() {} },
    dialog: { showErrorBox: (title, message) => { throw new Error(`${title}: ${message}`) }, showOpenDialog: async () => ({ canceled: true, filePaths: [] }) },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: (fn) => fn({ responseHeaders: {} }, (r) => (state.cspHeaders = r.responseHeaders)) },
        setPermissionRequestHandler() {},
      },
    },
    shell: { openExternal: async () => {} },
  }
  return { electron, state }
}

test('the built Electron shell boots with a secure window and the full IPC contract', async () => {
  const userData = mkdtempSync(join(tmpdir(), 'cxr-shell-'))
  const { electron, state } = fakeElectron(userData)
  const originalLoad = Module._load
  Module._load = function (request, ...rest) {
    return request === 'electron' ? electron : originalLoad.call(this, request, ...rest)
  }
  try {
    require(join(repoRoot, 'out/main/index.js'))
    await new Promise((r) => setTimeout(r, 200))
    assert.equal(state.windows.length, 1, 'one window created')
    const [window] = state.windows
    const prefs = window.options.webPreferences
    assert.deepEqual([prefs.contextIsolation, prefs.sandbox, prefs.nodeIntegration], [true, true, false])
    assert.ok(existsSync(prefs.preload), `preload bundle exists at ${prefs.preload}`)
    assert.ok(existsSync(window.loaded), `renderer entry exists at ${window.loaded}`)
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
  } finally {
    Module._load = originalLoad
    rmSync(userData, { recursive: true, force: true })
  }
})

test('the sandboxed preload bundle requires only electron', () => {
  const preload = readFileSync(join(repoRoot, 'out/preload/index.js'), 'utf8')
  const requires = [...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1])
  assert.deepEqual([...new Set(requires)], ['electron'])
  assert.doesNotMatch(preload, /exposeInMainWorld\(["']ipcRenderer/)
})
