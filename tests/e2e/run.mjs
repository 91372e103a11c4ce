// End-to-end test of CXR Lens in browser mode: the built web server (out/main/web.js) + the built
// renderer, driven by headless Chromium through playwright-core, plus the built CLI (out/main/cli.js).
//
//   npm run test:e2e            (builds when stale, then runs this file)
//   node tests/e2e/run.mjs      (expects a current build in out/)
//
// Uses the real NIH images in ../shared/data/nih (read-only, never copied into the repo). Every run
// works in a fresh temp folder under os.tmpdir(): a new data dir, and an images folder of symlinks to
// the 50 images-1024 PNGs plus one corrupt PNG. Screenshots go to test-artifacts/ (gitignored).
import { after, before } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  repoRoot,
  images1024,
  labelsCsv,
  boxesCsv,
  webJs,
  cliJs,
  artifacts,
  CHROMIUM,
  CORRUPT,
  WAIT,
  execFileAsync,
  ctx,
  readCsvBoxes,
  startServer,
  sel,
  waitForTotal,
  searchFor,
  clearSearch,
  openByClick,
  caseBoxTexts,
  viewer,
  workflow,
  median,
  tryWebSocket,
  openBrowserPage,
  closeAll,
  readmeScreenshot,
} from './harness.mjs'

// ---------------------------------------------------------------------------------------------- setup

before(async () => {
  for (const [what, path] of [
    ['build (run npx electron-vite build)', webJs],
    ['build', cliJs],
    ['NIH images', images1024],
    ['labels', labelsCsv],
    ['boxes', boxesCsv],
    ['Chromium', CHROMIUM],
  ]) {
    if (!existsSync(path)) throw new Error(`missing ${what}: ${path}`)
  }
  mkdirSync(artifacts, { recursive: true })
  for (const name of readdirSync(artifacts)) if (/^e2e-failure-.*\.png$/.test(name)) rmSync(join(artifacts, name))
  ctx.workDir = mkdtempSync(join(tmpdir(), 'cxr-lens-e2e-'))
  ctx.dataDir = join(ctx.workDir, 'data')
  ctx.imagesDir = join(ctx.workDir, 'images')
  mkdirSync(ctx.dataDir)
  mkdirSync(ctx.imagesDir)
  ctx.imageNames = readdirSync(images1024)
    .filter((name) => name.endsWith('.png'))
    .sort()
  assert.equal(ctx.imageNames.length, 50, 'images-1024 should hold 50 PNGs')
  for (const name of ctx.imageNames) symlinkSync(join(images1024, name), join(ctx.imagesDir, name))
  writeFileSync(join(ctx.imagesDir, CORRUPT), readFileSync(join(images1024, ctx.imageNames[0])).subarray(0, 2000))

  ctx.csvBoxes = readCsvBoxes(new Set(ctx.imageNames))
  // The boxed image with the most boxes (ties: first by name): exercises more than one box.
  ctx.boxedImage = [...ctx.csvBoxes.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))[0][0]

  ctx.url = await startServer(ctx.dataDir)
  const parsed = new URL(ctx.url)
  ctx.port = Number(parsed.port)
  ctx.token = parsed.searchParams.get('token') ?? ''
  assert.equal(parsed.hostname, '127.0.0.1')
  assert.ok(ctx.token, 'URL carries a token')

  await openBrowserPage({ httpErrors: true, consoleLocation: true })
  await waitForTotal(ctx.page, 0)
})

after(closeAll)

// ---------------------------------------------------------------------------------------------- workflows

workflow('1. import through the UI: 50 imported, the corrupt file listed as failed', async () => {
  const { page } = ctx
  await page.click('[data-testid="open-import"]')
  await page.fill('[data-testid="import-images-dir"]', ctx.imagesDir)
  await page.fill('[data-testid="import-labels-csv"]', labelsCsv)
  await page.fill('[data-testid="import-boxes-csv"]', boxesCsv)
  await page.click('[data-testid="import-start"]')
  const summary = await page.waitForSelector('[data-testid="import-summary"]', { timeout: WAIT })
  assert.equal(await summary.getAttribute('data-state'), 'succeeded')
  const counts = await page.textContent('[data-testid="import-summary-counts"]')
  assert.match(counts ?? '', /\bimported 50\b/, `summary: ${counts}`)
  assert.match(counts ?? '', /\bduplicates 0\b/)
  assert.match(counts ?? '', /\bfailed 1\b/)
  const failures = await page.$$eval('[data-testid="import-failure"]', (items) => items.map((item) => item.textContent ?? ''))
  assert.ok(
    failures.some((text) => text.includes(CORRUPT)),
    `failure list names ${CORRUPT}: ${JSON.stringify(failures)}`,
  )
  await page.click('[data-testid="import-close"]')
  await page.waitForSelector('[data-testid="import-summary"]', { state: 'detached', timeout: WAIT })
  await waitForTotal(page, 50)
  await page.waitForSelector(sel.rowAt(0), { timeout: WAIT })
})

workflow('2. open a case with boxes: panel and canvas show the CSV boxes', async () => {
  const { page, boxedImage } = ctx
  const expected = ctx.csvBoxes.get(boxedImage)
  await searchFor(page, boxedImage)
  assert.equal(await page.getAttribute(sel.row(boxedImage), 'data-boxes'), String(expected.length))
  await openByClick(page, boxedImage)

  const texts = await caseBoxTexts(page, expected.length)
  assert.equal(texts.length, expected.length, `case-box items: ${JSON.stringify(texts)}`)
  assert.equal((await viewer(page))?.boxesDrawn, expected.length, 'window.__cxrViewer.boxesDrawn')
  // images-1024 are stored at 1024², the CSV's own space: the coordinates shown are the CSV's, rounded.
  const shown = texts
    .map((text) => {
      const m = /x (-?\d+)\s+y (-?\d+)\s+w (\d+)\s+h (\d+)/.exec(text)
      assert.ok(m, `box text has coordinates: ${text}`)
      return m.slice(1).map(Number).join(',')
    })
    .sort()
  const fromCsv = expected.map((b) => [b.x, b.y, b.w, b.h].map(Math.round).join(',')).sort()
  assert.deepEqual(shown, fromCsv)
  assert.match((await page.textContent('[data-testid="case-image-name"]')) ?? '', new RegExp(boxedImage.replace('.', '\\.')))
  assert.ok((await page.$$('[data-testid="case-label"]')).length > 0, 'the case shows its ground-truth labels')

  ctx.opened = { caseId: (await page.getAttribute('[data-testid="case-view"]', 'data-case-id')) ?? '', boxes: texts }
  await readmeScreenshot(page, 'case-view')
})

workflow('3. keyboard navigation: ArrowDown/ArrowUp move the selection, Enter opens it', async () => {
  const { page } = ctx
  await clearSearch(page, 50)
  const before = await page.getAttribute('[data-testid="case-view"]', 'data-case-id')
  await page.focus('[data-testid="worklist"]')
  // A new filter clears the selection, so the first ArrowDown selects the first row.
  for (const index of [0, 1, 2]) {
    await page.keyboard.press('ArrowDown')
    await page.waitForSelector(`${sel.rowAt(index)}[aria-selected="true"]`, { timeout: WAIT })
  }
  const third = await page.getAttribute(sel.rowAt(2), 'data-image')
  assert.ok(third)
  await page.keyboard.press('Enter')
  await page.waitForSelector(sel.loaded(third), { timeout: WAIT })
  assert.notEqual(await page.getAttribute('[data-testid="case-view"]', 'data-case-id'), before)
  assert.equal(await page.getAttribute(sel.rowAt(2), 'data-image'), third)

  await page.keyboard.press('ArrowUp')
  await page.waitForSelector(`${sel.rowAt(1)}[aria-selected="true"]`, { timeout: WAIT })
  const second = await page.getAttribute(sel.rowAt(1), 'data-image')
  await page.keyboard.press('Enter')
  await page.waitForSelector(sel.loaded(second), { timeout: WAIT })
})

workflow('4. reload persists: 50 cases, the same case opens with the same boxes', async () => {
  const { page, boxedImage } = ctx
  assert.ok(ctx.opened, 'workflow 2 opened the boxed case')
  await page.reload()
  await waitForTotal(page, 50)
  await searchFor(page, boxedImage)
  await openByClick(page, boxedImage)
  assert.equal(await page.getAttribute('[data-testid="case-view"]', 'data-case-id'), ctx.opened.caseId)
  assert.deepEqual(await caseBoxTexts(page, ctx.opened.boxes.length), ctx.opened.boxes)
  assert.equal((await viewer(page))?.boxesDrawn, ctx.opened.boxes.length)
})

workflow('5. re-import with the CLI (server running) adds nothing twice', async () => {
  // The corrupt file fails again: exit code 3 (finished, with refused files), the summary on stdout.
  const imported = await execFileAsync(
    process.execPath,
    [cliJs, 'import', '--images', ctx.imagesDir, '--labels', labelsCsv, '--boxes', boxesCsv, '--data-dir', ctx.dataDir],
    { cwd: repoRoot, timeout: WAIT },
  ).then(
    () => assert.fail('an import with a failed file exits 3, not 0'),
    (error) => {
      assert.equal(error.code, 3, error.stderr)
      return error
    },
  )
  const line = /imported (\d+), skipped (\d+) already imported, failed (\d+) \((\d+) images scanned\)/.exec(imported.stdout)
  assert.ok(line, `CLI summary:\n${imported.stdout}`)
  assert.deepEqual(line.slice(1).map(Number), [0, 50, 1, 51], `imported, skipped, failed, scanned:\n${imported.stdout}`)
  assert.match(imported.stdout, /boxes added 0\b/)
  assert.match(imported.stdout, new RegExp(`${CORRUPT.replace('.', '\\.')}:`))

  const listed = await execFileAsync(process.execPath, [cliJs, 'cases', '--json', '--limit', '1000', '--data-dir', ctx.dataDir], {
    cwd: repoRoot,
    timeout: WAIT,
  })
  const cases = JSON.parse(listed.stdout)
  assert.equal(cases.total, 50)
  assert.equal(cases.cases.length, 50)
  const csvBoxCount = [...ctx.csvBoxes.values()].reduce((sum, list) => sum + list.length, 0)
  assert.equal(
    cases.cases.reduce((sum, c) => sum + c.boxes, 0),
    csvBoxCount,
  )
  for (const [image, list] of ctx.csvBoxes) assert.equal(cases.cases.find((c) => c.image === image)?.boxes, list.length, image)

  // The workstation still shows the same 50 after the concurrent import.
  await clearSearch(ctx.page, 50)
})

workflow('6. zoom and fit: the wheel zooms the case, Fit restores the fitted scale', async () => {
  const { page, boxedImage } = ctx
  await searchFor(page, boxedImage)
  await openByClick(page, boxedImage)
  const fitted = (await viewer(page))?.scale
  assert.ok(fitted > 0, `fitted scale ${fitted}`)
  const zoomBefore = await page.textContent('[data-testid="zoom-level"]')

  const stage = await page.$('[data-testid="case-stage"]')
  const rect = await stage.boundingBox()
  await page.mouse.move(rect.x + rect.width / 2, rect.y + rect.height / 2)
  await page.mouse.wheel(0, -300)
  await page.waitForFunction((s) => (window.__cxrViewer?.scale ?? 0) > s * 1.05, fitted, { timeout: WAIT })
  assert.notEqual(await page.textContent('[data-testid="zoom-level"]'), zoomBefore)
  // Back out a little (the zoom step is clamped to ~10% per event): still zoomed relative to fit.
  await page.mouse.wheel(0, 50)
  await page.waitForFunction((s) => Math.abs((window.__cxrViewer?.scale ?? 0) - s) > 1e-6, fitted, { timeout: WAIT })

  await page.click('[data-testid="fit-button"]')
  await page.waitForFunction((s) => Math.abs((window.__cxrViewer?.scale ?? 0) - s) < 1e-9, fitted, { timeout: WAIT })
  assert.equal(await page.textContent('[data-testid="zoom-level"]'), zoomBefore)
  assert.equal((await viewer(page))?.boxesDrawn, ctx.csvBoxes.get(boxedImage).length, 'boxes still drawn after zooming')
  await clearSearch(page, 50)
})

workflow('7. security: the API socket needs the token and a same-origin page', async () => {
  const base = `ws://127.0.0.1:${ctx.port}/api`
  const good = `${base}?token=${encodeURIComponent(ctx.token)}`
  const sameOrigin = { Origin: `http://127.0.0.1:${ctx.port}` }

  const control = await tryWebSocket(good, sameOrigin)
  assert.equal(control.result, 'open', 'right token + same origin is accepted (control)')
  assert.equal(control.reply?.envelope?.ok, true, `app:info answered: ${JSON.stringify(control.reply)}`)

  assert.equal((await tryWebSocket(`${base}?token=wrong-${ctx.token}`, sameOrigin)).result, 'refused 403', 'wrong token')
  assert.equal((await tryWebSocket(base, sameOrigin)).result, 'refused 403', 'no token')
  assert.equal((await tryWebSocket(good, { Origin: 'http://evil.example' })).result, 'refused 403', 'foreign Origin')
  assert.equal((await tryWebSocket(good, {})).result, 'refused 403', 'no Origin header')
})

workflow('informational: time from row click to image drawn (data-loaded="true")', async () => {
  const { page } = ctx
  await clearSearch(page, 50)
  const current = await page.getAttribute('[data-testid="case-view"]', 'data-image').catch(() => null)
  const visible = await page.$$eval('[data-testid="worklist-row"]', (rows) => rows.map((row) => row.getAttribute('data-image')))
  const targets = visible.filter((image) => image && image !== current).slice(0, 6)
  assert.ok(targets.length >= 3, `rows to open: ${targets}`)
  const times = []
  for (const image of targets) {
    // Measured inside the page: click() to the attribute change, without the harness's round trips.
    const ms = await page.evaluate(
      ({ image, timeout }) =>
        new Promise((resolveMs, reject) => {
          const done = () => document.querySelector(`[data-testid="case-view"][data-loaded="true"][data-image="${image}"]`)
          const row = document.querySelector(`[data-testid="worklist-row"][data-image="${image}"]`)
          if (!row) return reject(new Error(`no row ${image}`))
          const start = performance.now()
          const observer = new MutationObserver(() => {
            if (done()) {
              observer.disconnect()
              clearTimeout(timer)
              resolveMs(performance.now() - start)
            }
          })
          const timer = setTimeout(() => {
            observer.disconnect()
            reject(new Error(`${image} not drawn within ${timeout} ms`))
          }, timeout)
          observer.observe(document.body, {
            subtree: true,
            childList: true,
            attributes: true,
            attributeFilter: ['data-loaded', 'data-image'],
          })
          row.click()
        }),
      { image, timeout: WAIT },
    )
    times.push(ms)
  }
  console.log(
    `# [informational] row click → data-loaded="true" (1024² PNG, ${times.length} cases): median ${median(times).toFixed(0)} ms;` +
      ` each: ${times.map((t) => t.toFixed(0)).join(', ')} ms`,
  )
})

workflow('no uncaught errors or failed requests in the browser during the run', async () => {
  // Chromium asks for /favicon.ico on its own; the app ships none, so that 404 is expected.
  const errors = ctx.pageErrors.filter((text) => !/\/favicon\.ico\b/.test(text))
  assert.deepEqual(errors, [])
})
