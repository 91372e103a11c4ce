// Shared by the reading specs (boxes, heatmap editing, review): a fresh data dir with 8 NIH images
// (the boxed ones first) imported with the built CLI, the tiny TEST model and Grad-CAM maps for
// every case from the default model (random weights when that is the test model: the plumbing is
// what is tested), the server and one browser page; plus the page helpers those specs use.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import {
  repoRoot,
  images1024,
  labelsCsv,
  boxesCsv,
  webJs,
  cliJs,
  artifacts,
  CHROMIUM,
  WAIT,
  execFileAsync,
  ctx,
  readCsvBoxes,
  startServer,
  waitForTotal,
  viewer,
  openBrowserPage,
  median,
} from './harness.mjs'

export const IMAGES = 8
const MODEL_DIR = join(repoRoot, 'tests/fixtures/engine/tiny-resnet')

export async function cli(...args) {
  const { stdout } = await execFileAsync(process.execPath, [cliJs, ...args, '--data-dir', ctx.dataDir], { cwd: repoRoot, timeout: 300_000 })
  return stdout
}

/**
 * Checks what a reading spec needs, makes ctx's fresh work, data and image folders and reads the CSV
 * boxes of the NIH images; returns the NIH image names, sorted.
 */
export function freshReadingDirs(name, needs = []) {
  for (const [what, path] of [['build', webJs], ['build', cliJs], ['NIH images', images1024], ['Chromium', CHROMIUM], ...needs]) {
    if (!existsSync(path)) throw new Error(`missing ${what}: ${path}`)
  }
  mkdirSync(artifacts, { recursive: true })
  ctx.workDir = mkdtempSync(join(tmpdir(), `cxr-lens-e2e-${name}-`))
  ctx.dataDir = join(ctx.workDir, 'data')
  ctx.imagesDir = join(ctx.workDir, 'images')
  mkdirSync(ctx.dataDir)
  mkdirSync(ctx.imagesDir)
  const all = readdirSync(images1024)
    .filter((n) => n.endsWith('.png'))
    .sort()
  ctx.csvBoxes = readCsvBoxes(new Set(all))
  return all
}

/** The `before` of a reading spec; returns the first image with dataset boxes. */
export async function setupReading(name) {
  const all = freshReadingDirs(name, [['model fixture', MODEL_DIR]])
  const withBoxes = all.filter((n) => ctx.csvBoxes.has(n))
  ctx.imageNames = [...withBoxes.slice(0, 4), ...all.filter((n) => !ctx.csvBoxes.has(n))].slice(0, IMAGES).sort()
  for (const n of ctx.imageNames) symlinkSync(join(images1024, n), join(ctx.imagesDir, n))
  await cli('import', '--images', ctx.imagesDir, '--labels', labelsCsv, '--boxes', boxesCsv)
  await cli('models', 'import', MODEL_DIR)
  // The default model: a bundled reference model when there is one, else the imported test model.
  await cli('explain', '--method', 'gradcam', '--all')
  ctx.url = await startServer(ctx.dataDir)
  await openBrowserPage({ acceptDownloads: true })
  await waitForTotal(ctx.page, IMAGES)
  return withBoxes[0]
}

/** Each test reader's secret (the specs only need one that is long enough and known). */
export const secretOf = (name) => `${name} secret`

/** The built CLI with `stdin` on its standard input (reader secrets are never arguments); resolves stdout. */
export function cliWithStdin(stdin, ...args) {
  const child = spawn(process.execPath, [cliJs, ...args, '--data-dir', ctx.dataDir], { cwd: repoRoot })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  child.stdin.end(stdin)
  return new Promise((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`cxr-lens ${args.join(' ')}: exit ${code}: ${stderr}`)))),
  )
}

const currentIs = (page, name) =>
  page.waitForFunction((n) => (document.querySelector('[data-testid="current-reader"]')?.textContent ?? '').includes(n), name)

/** Logs in through the picker (opening it when closed): choose the reader, type its secret. */
export async function loginReader(page, name, secret = secretOf(name)) {
  if (!(await page.$('[data-testid="reader-dialog"]'))) await page.click('[data-testid="current-reader"]')
  await page.click(`[data-testid="reader-option"][data-reader-name="${name}"]`)
  await page.fill('[data-testid="reader-secret"]', secret)
  await page.click('[data-testid="reader-login"]')
  await currentIs(page, name)
  await page.waitForSelector('[data-testid="reader-dialog"]', { state: 'detached' })
  return Number(await page.getAttribute('[data-testid="current-reader"]', 'data-reader-id'))
}

/**
 * Makes a reader current and returns its id. A radiologist enrols through the picker with a secret
 * (and is logged in by it); a clinical advisor is made by the administrator, `cxr-lens readers add`
 * with the secret on stdin, and then logs in through the picker.
 */
export async function createReader(page, name, role) {
  if (role === 'clinical_advisor') {
    const made = JSON.parse(await cliWithStdin(`${secretOf(name)}\n`, 'readers', 'add', '--name', name, '--role', role, '--json'))
    assert.deepEqual(made, { id: made.id, name, role, administrator: false })
    return loginReader(page, name)
  }
  if (!(await page.$('[data-testid="reader-dialog"]'))) await page.click('[data-testid="current-reader"]')
  await page.fill('[data-testid="reader-name"]', name)
  await page.selectOption('[data-testid="reader-role"]', role)
  await page.fill('[data-testid="reader-new-secret"]', secretOf(name))
  await page.click('[data-testid="reader-create"]')
  await currentIs(page, name)
  await page.waitForSelector('[data-testid="reader-dialog"]', { state: 'detached' })
  return Number(await page.getAttribute('[data-testid="current-reader"]', 'data-reader-id'))
}

export const myBoxes = async (page) => ((await viewer(page)).boxes ?? []).filter((b) => b.mine)
export const blur = (page) =>
  page.evaluate(() => (document.activeElement instanceof HTMLElement ? document.activeElement.blur() : undefined))
export const saved = (page) => page.waitForSelector('[data-testid="save-state"][data-state="saved"]', { timeout: WAIT })
export const caseView = (page, attribute) => page.getAttribute('[data-testid="case-view"]', attribute)

export async function toPage(page, x, y) {
  return page.evaluate(([ix, iy]) => window.__cxrViewer.imageToStage(ix, iy), [x, y])
}

/** Drags between two image points with the real mouse (several moves, so Konva sees a drag). */
export async function dragImage(page, from, to, { steps = 12, button = 'left' } = {}) {
  const a = await toPage(page, from.x, from.y)
  const b = await toPage(page, to.x, to.y)
  await page.mouse.move(a.clientX, a.clientY)
  await page.mouse.down({ button })
  await page.mouse.move(b.clientX, b.clientY, { steps })
  await page.mouse.up({ button })
}

/** Polls my boxes from Node until `predicate(boxes, arg)` holds (the page's CSP forbids eval). */
export async function waitMine(page, predicate, arg) {
  const end = Date.now() + WAIT
  let boxes = []
  while (Date.now() < end) {
    boxes = await myBoxes(page).catch(() => [])
    if (predicate(boxes, arg)) return boxes
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for my boxes: ${JSON.stringify(boxes)}`)
}

/** Waits until the canvas shows the heatmap values of the open case (published after the IoU render). */
export async function heatmapValues(page) {
  await page.waitForFunction(() => window.__cxrViewer?.heatmapValues?.values?.length > 0)
  return (await viewer(page)).heatmapValues
}

/**
 * Clicks a worklist row and measures, inside the page, the time from the click to the image drawn
 * (data-loaded="true" for that image) with a heatmap on the canvas.
 */
export function timeOpen(page, image) {
  return page.evaluate(
    (name) =>
      new Promise((resolve, reject) => {
        const row = document.querySelector(`[data-testid="worklist-row"][data-image="${name}"]`)
        if (!row) return reject(new Error(`no worklist row ${name}`))
        // a mark in a Chromium trace while one is recorded (see traceOpens)
        if (window.__cxrTraceMarks) console.timeStamp(`open ${name}`)
        const start = performance.now()
        row.click()
        const poll = () =>
          document.querySelector(`[data-testid="case-view"][data-loaded="true"][data-image="${name}"]`) && window.__cxrViewer?.heatmap
            ? resolve(performance.now() - start)
            : requestAnimationFrame(poll)
        poll()
      }),
    image,
  )
}

/** p50 and p95 (nearest rank: of 30 times, the 29th smallest) of a list of times. */
export function percentiles(times) {
  assert.ok(times.length > 0)
  const sorted = [...times].sort((a, b) => a - b)
  return { p50: sorted[Math.floor(sorted.length / 2)], p95: sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))] }
}

/**
 * One contract call over the API socket, as a second client of the server (answers without bytes are
 * JSON text). With `login` ({readerId, secret}) the connection logs in first, as a script would.
 */
export function callApi(channel, request, login = null) {
  const { port, searchParams } = new URL(ctx.url)
  const socket = new WebSocket(`ws://127.0.0.1:${port}/api?token=${encodeURIComponent(searchParams.get('token') ?? '')}`, {
    headers: { Origin: `http://127.0.0.1:${port}` },
  })
  const calls = [...(login ? [['readers:login', login]] : []), [channel, request]]
  return new Promise((resolve, reject) => {
    socket.once('error', reject)
    socket.once('open', () => socket.send(JSON.stringify({ id: 1, channel: calls[0][0], request: calls[0][1] })))
    socket.on('message', (data) => {
      const { id, envelope } = JSON.parse(String(data))
      // Events (background analysis broadcasts its status to every socket) are not answers.
      if (id === undefined) return
      if (id < calls.length) {
        if (!envelope.ok) return reject(new Error(`login refused: ${envelope.error.message}`))
        return socket.send(JSON.stringify({ id: id + 1, channel: calls[id][0], request: calls[id][1] }))
      }
      socket.close()
      resolve(envelope)
    })
  })
}

/** The renderer's trace of the last opening (src/renderer/src/canvas/openTrace.ts): steps in ms after the click. */
export const lastOpenTrace = (page) => page.evaluate(() => window.__cxrOpenTrace?.() ?? null)

const OPEN_STEPS = [
  ['view committed', 'view'],
  ['answered cases:get', 'record answered'],
  ['record in view', 'record shown'],
  ['answered analysis:predictions', 'predictions answered'],
  ['answered heatmaps:get', 'map answered'],
  ['image bytes in', 'image bytes in'],
  ['image decoded', 'decoded'],
  ['image drawn', 'image drawn'],
  ['heatmap drawn', 'heatmap drawn'],
]

/**
 * One line on where the time of a series of openings went: the median time after the click of each
 * step (over the openings that had it: a prefetched image has no transfer or decode of its own),
 * the server's median handling time per request, and the main thread's long tasks.
 */
export function openBreakdown(label, traces) {
  const found = traces.filter(Boolean)
  if (found.length === 0) return `# open breakdown, ${label}: no trace (the renderer publishes none)`
  const steps = OPEN_STEPS.map(([step, name]) => {
    const at = found.map((t) => t.steps.find((s) => s.name === step)?.at).filter((v) => v !== undefined)
    return at.length ? `${name} ${median(at).toFixed(0)} (${at.length})` : null
  }).filter(Boolean)
  const server = new Map()
  for (const t of found)
    for (const s of t.steps)
      if (s.serverMs !== undefined)
        server.set(s.name.replace('answered ', ''), [...(server.get(s.name.replace('answered ', '')) ?? []), s.serverMs])
  const serverText = [...server].map(([channel, ms]) => `${channel} ${median(ms).toFixed(1)}`).join(', ')
  const long = found.map((t) => t.longTasks.filter(([start]) => start < (t.steps.find((s) => s.name === 'heatmap drawn')?.at ?? Infinity)))
  const longMs = long.map((tasks) => tasks.reduce((sum, [, d]) => sum + d, 0))
  return (
    `# open breakdown, ${label} (${found.length} opens; median ms after the click, openings with the step): ${steps.join(', ')}; ` +
    `server ms per request (median): ${serverText}; main-thread long tasks before the map was drawn: median ${median(longMs).toFixed(0)} ms per open`
  )
}

/** CPU seconds (user + system) the server process has used, from /proc; null where there is none. */
function serverCpuMs() {
  try {
    const stat = readFileSync(`/proc/${ctx.server?.pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100 // utime + stime, in clock ticks of 10 ms
  } catch {
    return null
  }
}

/**
 * CPU time of a series of openings, per opening: the renderer's main thread (and the script and
 * style/layout parts of it), the whole renderer process (image decoding and rasterizing included)
 * and the server. Unlike the wall times, these hardly move when other work shares the cores.
 */
export async function cpuMeter(page) {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' })
  const read = async () => {
    const m = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value * 1000]))
    return {
      main: m.ThreadTime,
      script: m.ScriptDuration,
      layout: m.LayoutDuration + m.RecalcStyleDuration,
      process: m.ProcessTime,
      server: serverCpuMs(),
    }
  }
  const start = await read()
  return async (label, opens) => {
    const end = await read()
    await cdp.detach().catch(() => undefined)
    const per = (k) => ((end[k] - start[k]) / opens).toFixed(0)
    const server = start.server === null || end.server === null ? 'n/a' : `${per('server')} ms`
    return (
      `# open CPU time per opening, ${label} (${opens} opens, neighbour prefetch included): renderer main thread ${per('main')} ms ` +
      `(script ${per('script')}, style+layout ${per('layout')}), renderer process ${per('process')} ms, server ${server}`
    )
  }
}

/**
 * Opt-in (CXR_E2E_PROFILE=1): CPU profiles of the renderer's main thread (CDP Profiler, 100 µs
 * sampling), one per opening, from just before the click until the image and map are drawn:
 * `around(open)` profiles one, `summary(opens)` sums them up as self time per function, and as time
 * per function with what it called (each function once per sample), per opening; the profiles are
 * written to test-artifacts/<name>-<n>.cpuprofile. Null when not asked for: the timed series stay
 * unprofiled otherwise.
 */
export async function profileOpens(page, name) {
  if (!process.env.CXR_E2E_PROFILE) return null
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Profiler.enable')
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 })
  const self = new Map()
  const total = new Map()
  let count = 0
  const add = (map, key, ms) => map.set(key, (map.get(key) ?? 0) + ms)
  const { writeFileSync } = await import('node:fs')
  return {
    async around(open) {
      await cdp.send('Profiler.start')
      const result = await open()
      const { profile } = await cdp.send('Profiler.stop')
      writeFileSync(join(artifacts, `${name}-${count++}.cpuprofile`), JSON.stringify(profile))
      const byId = new Map(profile.nodes.map((n) => [n.id, n]))
      const parent = new Map()
      for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
      const label = (n) =>
        `${n.callFrame.functionName || '(anonymous)'} ${(n.callFrame.url.split('/').pop() || '(native)').replace(/-[\w]{8}\.js$/, '.js')}:${n.callFrame.lineNumber + 1}`
      for (let i = 0; i < profile.samples.length; i++) {
        const ms = (profile.timeDeltas[i + 1] ?? 100) / 1000
        let node = byId.get(profile.samples[i])
        add(self, label(node), ms)
        const seen = new Set()
        for (; node; node = byId.get(parent.get(node.id))) {
          const key = label(node)
          if (!seen.has(key)) add(total, key, ms)
          seen.add(key)
        }
      }
      return result
    },
    summary(opens, top = 40) {
      const fmt = (m) =>
        [...m]
          .sort((a, b) => b[1] - a[1])
          .slice(0, top)
          .map(([k, ms]) => `#   ${(ms / opens).toFixed(2).padStart(7)} ms  ${k}`)
          .join('\n')
      return `# profile ${name} (${opens} opens, ms per open from the click to image + map drawn)\n# self:\n${fmt(self)}\n# with callees:\n${fmt(total)}`
    },
  }
}

/**
 * Opt-in (CXR_E2E_TRACE=1): a Chromium trace (devtools timeline categories) over a series of
 * openings, written to test-artifacts/<name>.trace.json for chrome://tracing or Perfetto; each
 * opening's click is marked in it by a console.timeStamp('open <image>'). Null when not asked for.
 */
export async function traceOpens(page, name) {
  if (!process.env.CXR_E2E_TRACE) return null
  const cdp = await page.context().newCDPSession(page)
  const events = []
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value))
  await cdp.send('Tracing.start', {
    categories:
      'devtools.timeline,disabled-by-default-devtools.timeline,v8.execute,blink.user_timing,loading,disabled-by-default-v8.cpu_profiler',
    transferMode: 'ReportEvents',
  })
  await page.evaluate(() => void (window.__cxrTraceMarks = true))
  return async () => {
    await page.evaluate(() => void (window.__cxrTraceMarks = false))
    const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve))
    await cdp.send('Tracing.end')
    await done
    await cdp.detach().catch(() => undefined)
    const { writeFileSync } = await import('node:fs')
    writeFileSync(join(artifacts, `${name}.trace.json`), JSON.stringify({ traceEvents: events }))
    return `# trace ${name}: ${events.length} events in test-artifacts/${name}.trace.json`
  }
}
