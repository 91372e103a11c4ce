// End-to-end test of the review flow in browser mode: keyboard-only review of three cases, setting a
// reviewed case back in review (audited with the reader), shortcuts that stay quiet behind the
// Dashboard, in a dialog and in a text field, window/level changing the displayed pixels, and the
// time to open a case (printed).
//
//   npx electron-vite build && node --test tests/e2e/review.test.mjs
//
// Setup (8 NIH images, the test model, Grad-CAM maps): see readingSetup.mjs.
import { after, before } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import sharp from 'sharp'
import { ctx, viewer, workflow, sel, clearSearch, closeAll, openSection, readmeScreenshot } from './harness.mjs'
import {
  IMAGES,
  setupReading,
  createReader,
  blur,
  caseView,
  dragImage,
  saved,
  waitMine,
  timeOpen,
  percentiles,
  lastOpenTrace,
  openBreakdown,
  cpuMeter,
  profileOpens,
  traceOpens,
} from './readingSetup.mjs'

let boxed = ''

before(async () => {
  boxed = await setupReading('review')
})

after(closeAll)

const status = (page, image) => page.getAttribute(sel.row(image), 'data-status')
/** Opens per series of test 5 (issue 17 asks for p95 over at least 30), and the reader's look at each case before the next. */
const OPENS = 30
const LOOK_MS = 500

workflow('1. keyboard-only review of three cases (r, n)', async () => {
  const { page } = ctx
  await createReader(page, 'Dr Test', 'radiologist')
  await page.click(sel.row(ctx.imageNames[0]))
  await page.waitForSelector(sel.loaded(ctx.imageNames[0]))
  await blur(page)
  const reviewed = []
  for (let i = 0; i < 3; i++) {
    const id = await caseView(page, 'data-case-id')
    // the next case's record may still be loading: read its image name once it is drawn
    await page.waitForSelector(`[data-testid="case-view"][data-case-id="${id}"][data-loaded="true"]`)
    const image = await caseView(page, 'data-image')
    await page.keyboard.press('r')
    await page.waitForSelector(`[data-testid="case-view"][data-case-id="${id}"][data-status="reviewed"]`)
    reviewed.push(image)
    await page.keyboard.press('n')
    await page.waitForFunction((prev) => document.querySelector('[data-testid="case-view"]')?.getAttribute('data-case-id') !== prev, id)
  }
  for (const image of reviewed) assert.equal(await status(page, image), 'reviewed', image)
  ctx.reviewed = reviewed
})

workflow('2. a reviewed case goes back in review (u, then the button), audited with the reader', async () => {
  const { page } = ctx
  const [first, second] = ctx.reviewed
  await page.click(sel.row(first))
  await page.waitForSelector(sel.loaded(first))
  await blur(page)
  await page.keyboard.press('u')
  await page.waitForSelector('[data-testid="case-view"][data-status="in_review"]')
  await page.waitForFunction((s) => document.querySelector(s)?.getAttribute('data-status') === 'in_review', sel.row(first))
  // Nothing to reopen on a case that is not reviewed: u does nothing, r reviews it again.
  await page.keyboard.press('u')
  await page.keyboard.press('r')
  await page.waitForSelector('[data-testid="case-view"][data-status="reviewed"]')

  await page.click(sel.row(second))
  await page.waitForSelector(sel.loaded(second))
  await page.click('[data-testid="reopen-review"]')
  await page.waitForSelector('[data-testid="case-view"][data-status="in_review"] [data-testid="mark-reviewed"]')
  assert.equal(await status(page, second), 'in_review')

  const db = new Database(join(ctx.dataDir, 'cxr-lens.sqlite'), { readonly: true, fileMustExist: true })
  try {
    const rows = db
      .prepare(
        `SELECT a.actor, a.detail, a.reader_id FROM audit_log a JOIN cases c ON c.id = a.case_id
      WHERE a.action = 'case.status' AND c.image_name = ? ORDER BY a.id`,
      )
      .all(second)
    assert.deepEqual(
      rows.map((r) => JSON.parse(r.detail)),
      [
        { before: 'new', after: 'reviewed' },
        { before: 'reviewed', after: 'in_review' },
      ],
    )
    assert.ok(
      rows.every((r) => r.actor === 'Dr Test' && r.reader_id > 0),
      JSON.stringify(rows),
    )
  } finally {
    db.close()
  }
})

workflow('3. case keys do nothing behind the Dashboard, in the reader dialog or in a text field', async () => {
  const { page } = ctx
  const id = await caseView(page, 'data-case-id')
  const unchanged = async (what) => {
    await page.waitForTimeout(150)
    assert.equal(await caseView(page, 'data-case-id'), id, `${what}: same case`)
    assert.equal(await caseView(page, 'data-status'), 'in_review', `${what}: same status`)
    assert.equal(await page.getAttribute('[data-testid="case-stage"]', 'data-mode'), 'view', `${what}: not drawing`)
  }
  await page.click('[data-testid="dashboard-tab"]')
  await page.waitForSelector('[data-testid="dashboard"]')
  for (const key of ['r', 'n', 'p', 'b', 'PageDown']) await page.keyboard.press(key)
  await blur(page)
  for (const key of ['r', 'n', 'b']) await page.keyboard.press(key)
  await page.click('[data-testid="cases-tab"]')
  await unchanged('Dashboard')

  await page.click('[data-testid="current-reader"]')
  await page.focus('[data-testid="reader-option"]')
  for (const key of ['r', 'n', 'b']) await page.keyboard.press(key)
  await unchanged('reader dialog')
  await page.click('text=Later')

  await page.fill('[data-testid="worklist-search"]', 'nrb')
  await unchanged('search field')
  await clearSearch(page, IMAGES)
})

/** Grey levels of the image as displayed on the stage (a screenshot, so the CSS filter counts); images-1024 are 1024². */
/** The pointer off the image (a hovered box is drawn highlighted) and two frames painted. */
async function settle(page) {
  await page.mouse.move(0, 0)
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))))
}

async function displayed(page) {
  // The capture must show the settled window/level and nothing else that moved.
  await settle(page)
  const a = await page.evaluate(() => window.__cxrViewer.imageToStage(0, 0))
  const b = await page.evaluate(() => window.__cxrViewer.imageToStage(1024, 1024))
  const clip = {
    x: Math.ceil(a.clientX) + 2,
    y: Math.ceil(a.clientY) + 2,
    width: Math.floor(b.clientX - a.clientX) - 4,
    height: Math.floor(b.clientY - a.clientY) - 4,
  }
  const { data, info } = await sharp(await page.screenshot({ clip }))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
  return Array.from({ length: info.width * info.height }, (_, i) => data[i * info.channels])
}

/** Share of pixels within 3 grey levels of the window/level transfer applied to the default view. */
function agreement(before, after, { window, level }) {
  const expect = (v) => 255 * Math.min(1, Math.max(0, (v / 255 - (level - window / 2)) / window))
  return before.filter((v, i) => Math.abs(expect(v) - after[i]) <= 3).length / before.length
}

const statusWl = async (page) => {
  // Read once the last pointer move's render is painted, so the text and the filter agree.
  await settle(page)
  const status = '[data-testid="viewer-status"]'
  // The text shows stored pixel values (0–255 for these 8-bit PNGs); the attributes the exact 0–1 window.
  const m = /W (\d+) L (\d+)/.exec((await page.textContent(status)) ?? '')
  const window = Number(await page.getAttribute(status, 'data-window'))
  const level = Number(await page.getAttribute(status, 'data-level'))
  assert.equal(await page.getAttribute(status, 'data-pixel-max'), '255')
  assert.deepEqual([Number(m[1]), Number(m[2])], [Math.round(window * 255), Math.round(level * 255)], 'W/L shown in stored values')
  return { window, level }
}

workflow('4. window/level by preset and by right-drag changes the displayed pixels as W/L says', async () => {
  const { page } = ctx
  await page.click(sel.row(boxed))
  await page.waitForSelector(sel.loaded(boxed))
  await blur(page)
  await page.keyboard.press('h') // the image alone: the overlay is not windowed
  await page.waitForFunction(() => window.__cxrViewer?.heatmap?.visible === false)
  // nor are the boxes and their labels
  await openSection(page, 'boxes')
  await page.click('[data-testid="show-others-toggle"]')
  await page.waitForFunction(() => window.__cxrViewer?.boxesDrawn === 0)
  await page.mouse.move(0, 0)
  const base = await displayed(page)

  await openSection(page, 'window')
  await page.selectOption('[data-testid="wl-preset"]', 'bone')
  assert.deepEqual(await statusWl(page), { window: 0.45, level: 0.72 })
  assert.match((await page.textContent('[data-testid="viewer-status"]')) ?? '', /W 115 L 184/)
  assert.match((await page.textContent('[data-testid="wl-values"]')) ?? '', /^W 115 L 184 \(stored values 0–255\)$/)
  const bone = await displayed(page)
  const share = agreement(base, bone, { window: 0.45, level: 0.72 })
  console.log(
    `# window/level: bone preset, ${(share * 100).toFixed(1)}% of ${base.length} displayed pixels within 3 grey levels of the transfer`,
  )
  assert.ok(share > 0.97, `bone preset: ${share}`)
  assert.ok(bone.reduce((s, v) => s + v, 0) < base.reduce((s, v) => s + v, 0) * 0.8, 'bone window darkens the soft tissue')

  await page.selectOption('[data-testid="wl-preset"]', 'default')
  await dragImage(page, { x: 512, y: 512 }, { x: 760, y: 612 }, { button: 'right' })
  const dragged = await statusWl(page)
  assert.ok(
    dragged.window > 1.2 && dragged.level < 0.5,
    `right-drag right widens the window, down lowers the level: ${JSON.stringify(dragged)}`,
  )
  assert.equal(await page.inputValue('[data-testid="wl-preset"]'), 'custom')
  const share2 = agreement(base, await displayed(page), dragged)
  console.log(
    `# window/level: right-drag to W ${dragged.window} L ${dragged.level}, ${(share2 * 100).toFixed(1)}% of the displayed pixels within 3 grey levels of the transfer`,
  )
  assert.ok(share2 > 0.97, `right-drag: ${share2}`)

  await page.selectOption('[data-testid="wl-preset"]', 'default')
  assert.ok(agreement(base, await displayed(page), { window: 1, level: 0.5 }) > 0.99, 'default again shows the original pixels')
  await page.keyboard.press('h')
  await openSection(page, 'boxes')
  await page.click('[data-testid="show-others-toggle"]')
})

workflow(
  '5. time from a worklist click to image + heatmap drawn (printed)',
  async () => {
    const { page } = ctx
    const series = async (label, pick, lookMs) => {
      const times = []
      const traces = []
      const cpu = await cpuMeter(page)
      const profile = await profileOpens(page, `review-${label.split(' ')[0]}`)
      const trace = await traceOpens(page, `review-${label.split(' ')[0]}`)
      for (let i = 0; times.length < OPENS; i++) {
        const image = pick(i)
        if ((await caseView(page, 'data-image')) === image) continue
        // The reader looks at the open case first (neighbours are fetched meanwhile) unless lookMs is 0.
        if (lookMs) await page.waitForTimeout(lookMs)
        times.push(await (profile ? profile.around(() => timeOpen(page, image)) : timeOpen(page, image)))
        traces.push(await lastOpenTrace(page))
      }
      const { p50, p95 } = percentiles(times)
      console.log(
        `# worklist click → image + heatmap visible, ${label} (${times.length} opens): p50 ${p50.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms`,
      )
      console.log(openBreakdown(label, traces))
      console.log(await cpu(label, times.length))
      if (profile) console.log(profile.summary(times.length))
      if (trace) console.log(await trace())
      return p95
    }
    const names = ctx.imageNames
    // As measured before this spec existed: the next row at once, no time on the case.
    const backToBack = await series('next row back-to-back', (i) => names[i % IMAGES], 0)
    // (The next row after a look at the case is the prefetched path, faster than both: left out to keep CI short.)
    const jump = await series(`3 rows away after ${LOOK_MS} ms (nothing prefetched)`, (i) => names[(i * 3) % IMAGES], LOOK_MS)
    // Only a stall fails here (the figures are printed; a loaded CI machine is slower, not broken).
    assert.ok(Math.max(backToBack, jump) < 5000, 'loose bound: no open stalls')
  },
  { timeout: 240_000 },
)

workflow('6. a reader box beside the dataset boxes; screenshot', async () => {
  const { page } = ctx
  await page.click(sel.row(boxed))
  await page.waitForSelector(sel.loaded(boxed))
  await page.waitForFunction(() => window.__cxrViewer?.heatmap)
  const finding = (await viewer(page)).heatmap.finding
  await openSection(page, 'boxes')
  await page.selectOption('[data-testid="box-finding-select"]', finding)
  await blur(page)
  await page.keyboard.press('b')
  await dragImage(page, { x: 380, y: 330 }, { x: 620, y: 520 })
  await waitMine(page, (boxes) => boxes.length === 1 && boxes[0].id > 0)
  await saved(page)
  await page.waitForSelector('[data-testid="iou-row"]')
  await page.click('[data-testid="fit-button"]')
  await page.mouse.move(0, 0)
  await readmeScreenshot(page, 'viewer')
  assert.deepEqual(ctx.pageErrors, [])
})
