// Shared harness of the end-to-end run: paths, the browser-mode server process, page helpers and the
// context the workflows share. The workflows themselves are in run.mjs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { chromium } from 'playwright-core'
import sharp from 'sharp'
import WebSocket from 'ws'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const nihDir = resolve(repoRoot, '../shared/data/nih')
export const images1024 = join(nihDir, 'images-1024')
export const labelsCsv = join(nihDir, 'labels.csv')
export const boxesCsv = join(nihDir, 'BBox_List_dev.csv')
export const webJs = join(repoRoot, 'out/main/web.js')
export const cliJs = join(repoRoot, 'out/main/cli.js')
export const artifacts = join(repoRoot, 'test-artifacts')
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const CORRUPT = 'corrupt_000.png'
export const WAIT = 30_000 // longest single wait
// Per workflow: the longest here take 11-13 s in the CI run of 1 December; a loaded two-core
// runner is several times slower, and a limit that only fails there says nothing about the app.
export const TEST = { timeout: 120_000 }
export const execFileAsync = promisify(execFile)

/** Shared by every workflow (they run in order and build on each other). */
export const ctx = {
  workDir: '',
  dataDir: '',
  imagesDir: '',
  /** @type {import('node:child_process').ChildProcess | null} */ server: null,
  serverLog: '',
  url: '',
  port: 0,
  token: '',
  /** @type {import('playwright-core').Browser | null} */ browser: null,
  /** @type {import('playwright-core').Page | null} */ page: null,
  pageErrors: /** @type {string[]} */ ([]),
  imageNames: /** @type {string[]} */ ([]),
  /** image → CSV boxes (1024² pixel coordinates), only for images in images-1024 */
  csvBoxes: /** @type {Map<string, {finding: string, x: number, y: number, w: number, h: number}[]>} */ (new Map()),
  boxedImage: '',
  /** What workflow 2 saw for boxedImage, compared after the reload. */
  opened: /** @type {{ caseId: string, boxes: string[] } | null} */ (null),
}

// ---------------------------------------------------------------------------------------------- helpers

export function readCsvBoxes(inFolder) {
  const [header, ...lines] = readFileSync(boxesCsv, 'utf8').split(/\r?\n/).filter(Boolean)
  assert.match(header, /^Image Index,Finding Label,/)
  const byImage = new Map()
  for (const line of lines) {
    const [image, finding, x, y, w, h] = line.split(',')
    if (!inFolder.has(image)) continue
    const list = byImage.get(image) ?? []
    list.push({ finding, x: Number(x), y: Number(y), w: Number(w), h: Number(h) })
    byImage.set(image, list)
  }
  return byImage
}

/** `env` adds to the server's environment, e.g. CXR_LENS_BACKGROUND=off where a spec needs cases left unanalysed. */
export function startServer(dataDir, env = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [webJs, '--data-dir', dataDir], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    ctx.server = child
    const timer = setTimeout(() => reject(new Error(`web server printed no URL within ${WAIT} ms:\n${ctx.serverLog}`)), WAIT)
    const onData = (chunk) => {
      ctx.serverLog += chunk
      const match = /open:\s+(http:\/\/\S+)/.exec(ctx.serverLog)
      if (match) {
        clearTimeout(timer)
        // testHooks: the renderer publishes window.__cxrViewer (what the specs read) only when asked.
        const url = new URL(match[1])
        url.searchParams.set('testHooks', '1')
        resolvePromise(url.href)
      }
    }
    child.stdout.setEncoding('utf8').on('data', onData)
    child.stderr.setEncoding('utf8').on('data', (chunk) => (ctx.serverLog += chunk))
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`web server exited early (code ${code}, signal ${signal}):\n${ctx.serverLog}`))
    })
  })
}

export async function stopServer() {
  const child = ctx.server
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  const killTimer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(killTimer)
}

export const sel = {
  row: (image) => `[data-testid="worklist-row"][data-image="${image}"]`,
  rowAt: (index) => `[data-testid="worklist-row"][data-index="${index}"]`,
  loaded: (image) => `[data-testid="case-view"][data-loaded="true"][data-image="${image}"]`,
}

export async function waitForTotal(page, total) {
  // "N cases" (also accepts a singular "1 case").
  await page.waitForFunction(
    (expected) => new RegExp(`^${expected} cases?$`).test(document.querySelector('[data-testid="worklist-total"]')?.textContent ?? ''),
    total,
    { timeout: WAIT },
  )
}

/** Types into the worklist search and waits until the filtered list shows exactly `image`. */
export async function searchFor(page, image) {
  await page.fill('[data-testid="worklist-search"]', image)
  await waitForTotal(page, 1)
  await page.waitForSelector(sel.row(image), { timeout: WAIT })
}

export async function clearSearch(page, total) {
  await page.fill('[data-testid="worklist-search"]', '')
  await waitForTotal(page, total)
  await page.waitForSelector(sel.rowAt(0), { timeout: WAIT })
}

export async function openByClick(page, image) {
  await page.click(sel.row(image))
  await page.waitForSelector(sel.loaded(image), { timeout: WAIT })
}

/**
 * The texts of the case's box list. The list renders just after the image is drawn (data-loaded),
 * so with `count` it waits for that many items first.
 */
export async function caseBoxTexts(page, count) {
  if (count !== undefined) {
    await page
      .waitForFunction((n) => document.querySelectorAll('[data-testid="case-box"]').length === n, count, { timeout: WAIT })
      .catch(() => undefined)
  }
  return page.$$eval('[data-testid="case-box"]', (items) => items.map((item) => item.textContent ?? ''))
}

export function viewer(page) {
  return page.evaluate(() => window.__cxrViewer ?? null)
}

/**
 * Runs a workflow; on failure saves a screenshot and prints browser errors and the server log tail.
 * `options` is node:test's (a series of timed opens needs more than the default minute on a loaded machine).
 */
export function workflow(name, body, options = TEST) {
  test(name, options, async () => {
    try {
      await body()
    } catch (error) {
      if (ctx.page) {
        const file = join(artifacts, `e2e-failure-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`)
        await ctx.page.screenshot({ path: file }).then(
          () => console.error(`screenshot: ${file}`),
          () => undefined,
        )
      }
      if (ctx.pageErrors.length) console.error(`browser errors:\n  ${ctx.pageErrors.join('\n  ')}`)
      console.error(`server log (tail):\n${ctx.serverLog.slice(-2000)}`)
      throw error
    }
  })
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Tries a WebSocket upgrade; resolves 'open' or 'refused <status>' (never throws). */
export function tryWebSocket(url, headers) {
  return new Promise((resolvePromise) => {
    const ws = new WebSocket(url, { headers, handshakeTimeout: 5000 })
    ws.once('open', () => {
      ws.send(JSON.stringify({ id: 1, channel: 'app:info', request: {} }))
      ws.on('message', (data, isBinary) => {
        // The answer carries our id; events (background analysis broadcasts its status and results to
        // every socket while it runs) come first now and then, and are not it.
        const message = isBinary ? null : JSON.parse(String(data))
        if (message?.id !== 1) return
        ws.close()
        resolvePromise({ result: 'open', reply: message })
      })
    })
    ws.once('unexpected-response', (_req, res) => {
      resolvePromise({ result: `refused ${res.statusCode}` })
      res.resume()
      ws.terminate()
    })
    ws.once('error', (error) => resolvePromise({ result: `refused (${error.message})` }))
  })
}

/**
 * Debian Chromium and one page, its errors collected into ctx.pageErrors (uncaught errors always;
 * console errors and HTTP ≥ 400 responses when asked), then the app opened at ctx.url.
 */
export async function openBrowserPage({ acceptDownloads = false, consoleErrors = true, httpErrors = false, consoleLocation = false } = {}) {
  ctx.browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  })
  ctx.page = await ctx.browser.newPage({ viewport: { width: 1600, height: 1000 }, acceptDownloads })
  ctx.page.setDefaultTimeout(WAIT)
  ctx.page.on('pageerror', (error) => ctx.pageErrors.push(`pageerror: ${error.message}`))
  if (httpErrors) {
    ctx.page.on('response', (response) => {
      if (response.status() >= 400) ctx.pageErrors.push(`HTTP ${response.status()}: ${response.url()}`)
    })
  }
  if (consoleErrors) {
    ctx.page.on('console', (message) => {
      // Failed loads are reported by the 'response' listener with their URL.
      if (message.type() !== 'error' || message.text().startsWith('Failed to load resource')) return
      ctx.pageErrors.push(`console: ${message.text()}${consoleLocation ? ` (${message.location().url})` : ''}`)
    })
  }
  await ctx.page.goto(ctx.url)
  return ctx.page
}

/** The `after` hook of every e2e file: browser, server and temp folder go, even after a failure. */
export async function closeAll() {
  await ctx.browser?.close().catch(() => undefined)
  await stopServer().catch(() => undefined)
  if (ctx.workDir) rmSync(ctx.workDir, { recursive: true, force: true })
}

/**
 * Opens a section of the reading panel ('findings', 'heatmap', 'boxes', 'window'; one is open at a
 * time) so that its controls can be clicked.
 */
export async function openSection(page, name) {
  const section = `[data-testid="panel-section-${name}"]`
  await page.waitForSelector(section)
  if ((await page.getAttribute(section, 'data-expanded')) !== 'true') await page.click(`[data-testid="panel-section-${name}-summary"]`)
  await page.waitForSelector(`${section}[data-expanded="true"]`)
}

export const screenshotsDir = join(repoRoot, 'docs/screenshots')

/**
 * A README screenshot: saved as test-artifacts/e2e-<name>.png on every run, and copied over
 * docs/screenshots/<name>.png when the run is asked to regenerate them
 * (`CXR_LENS_UPDATE_SCREENSHOTS=1 node --test tests/e2e/<spec>`).
 */
export async function readmeScreenshot(page, name, options = {}) {
  const file = join(artifacts, `e2e-${name}.png`)
  await page.screenshot({ path: file, ...options })
  if (process.env.CXR_LENS_UPDATE_SCREENSHOTS === '1') {
    mkdirSync(screenshotsDir, { recursive: true })
    // The repository's copy as a 256-colour palette PNG (dithered: the heatmap's gradient stays
    // smooth), so that the README's images stay small; one over the limit fails the run.
    const out = join(screenshotsDir, `${name}.png`)
    const { size } = await sharp(file).png({ palette: true, quality: 90, effort: 10, compressionLevel: 9, dither: 1 }).toFile(out)
    assert.ok(size <= README_SCREENSHOT_BYTES, `${out}: ${size} bytes > ${README_SCREENSHOT_BYTES}`)
  }
}

/** The most a README screenshot may weigh. */
export const README_SCREENSHOT_BYTES = 400 * 1024
