// End-to-end test of box annotation in browser mode: reader identity, drawing, moving, resizing,
// relabelling and deleting a box with undo/redo and autosave, reload, read-only boxes of others,
// frame pacing while dragging and panning, and the live IoU panel checked against the localization
// pipeline recomputed in Node.
//
//   npx electron-vite build && node --test tests/e2e/boxes.test.mjs
//
// Setup (8 NIH images, the test model, Grad-CAM maps): see readingSetup.mjs.
import { after, before } from 'node:test'
import assert from 'node:assert/strict'
import { ctx, waitForTotal, openByClick, viewer, workflow, sel, closeAll, openSection } from './harness.mjs'
import { expectedIou } from './iouReference.mjs'
import { IMAGES, cli, setupReading, createReader, loginReader, myBoxes, blur, saved, dragImage, waitMine } from './readingSetup.mjs'

let boxed = ''

before(async () => {
  boxed = await setupReading('boxes')
})

after(closeAll)

const stats = {}
let boxId = 0

workflow('1. reader: the picker does not block; create a radiologist', async () => {
  const { page } = ctx
  await page.waitForSelector('[data-testid="reader-dialog"]')
  // The worklist stays usable under the picker.
  await openByClick(page, ctx.imageNames[1])
  await createReader(page, 'Dr Test', 'radiologist')
  assert.match((await page.textContent('[data-testid="current-reader"]')) ?? '', /Dr Test/)
})

workflow('2. draw, move, resize, relabel a box; autosave', async () => {
  const { page } = ctx
  await openByClick(page, boxed)
  await page.waitForFunction(() => window.__cxrViewer?.heatmap !== null && window.__cxrViewer?.imageToStage)
  await openSection(page, 'boxes')
  await page.selectOption('[data-testid="box-finding-select"]', 'Nodule')
  await blur(page)
  await page.keyboard.press('b')
  await page.waitForSelector('[data-testid="case-stage"][data-mode="draw"]')
  await dragImage(page, { x: 200, y: 200 }, { x: 400, y: 350 })
  await waitMine(page, (boxes) => boxes.length === 1 && boxes[0].id > 0)
  await saved(page)
  let [box] = await myBoxes(page)
  boxId = box.id
  assert.equal(box.finding, 'Nodule')
  for (const [k, v] of Object.entries({ x: 200, y: 200, w: 200, h: 150 })) assert.ok(Math.abs(box[k] - v) <= 2, `${k} ${box[k]} ≈ ${v}`)
  assert.equal(await page.getAttribute(sel.row(boxed), 'data-my-boxes'), '1')
  assert.equal(await page.getAttribute(sel.row(boxed), 'data-status'), 'in_review')

  // move: drag the inside by (+50, +25) image pixels
  await dragImage(page, { x: 300, y: 275 }, { x: 350, y: 300 }, { steps: 30 })
  stats.drag = await page.evaluate(() => window.__cxrViewer.frameStats())
  // Konva starts a drag after a few pixels of travel, so allow a small shortfall.
  await waitMine(page, (boxes) => Math.abs(boxes[0].x - 250) <= 5 && Math.abs(boxes[0].y - 225) <= 5)
  await saved(page)

  // resize: the transformer's bottom-right anchor by (+60, +40)
  box = (await myBoxes(page))[0]
  await dragImage(page, { x: box.x + box.w, y: box.y + box.h }, { x: box.x + box.w + 60, y: box.y + box.h + 40 })
  await waitMine(page, (boxes, b) => boxes[0].w > b.w + 40 && boxes[0].h > b.h + 25 && Math.abs(boxes[0].x - b.x) <= 2, box)
  await saved(page)

  // relabel from the side panel (the box is still selected)
  await page.selectOption('[data-testid="box-finding-select"]', 'Mass')
  await waitMine(page, (boxes) => boxes[0].finding === 'Mass')
  await saved(page)
  const item = await page.$(`[data-testid="case-box"][data-box-id="${boxId}"]`)
  assert.equal(await item.getAttribute('data-mine'), 'true')
})

workflow('3. delete, undo, redo, undo; reload keeps the last geometry', async () => {
  const { page } = ctx
  const last = (await myBoxes(page))[0]
  await blur(page)
  await page.keyboard.press('Delete')
  await waitMine(page, (boxes) => boxes.length === 0)
  await saved(page)
  await page.keyboard.press('Control+z')
  await waitMine(page, (boxes, id) => boxes.length === 1 && boxes[0].id === id, boxId)
  await saved(page)
  await page.keyboard.press('Control+Shift+z')
  await waitMine(page, (boxes) => boxes.length === 0)
  await saved(page)
  await page.keyboard.press('Control+z')
  await waitMine(page, (boxes) => boxes.length === 1)
  await saved(page)

  await page.reload()
  await waitForTotal(page, IMAGES)
  // The session ended with the page; the picker offers the remembered name and asks for the secret only.
  await page.waitForSelector('[data-testid="reader-secret"]')
  assert.match((await page.textContent('[data-testid="reader-dialog"]')) ?? '', /Secret of Dr Test/, 'reader name remembered')
  assert.doesNotMatch((await page.textContent('[data-testid="current-reader"]')) ?? '', /Dr Test/, 'the session is not')
  await loginReader(page, 'Dr Test')
  await openByClick(page, boxed)
  await waitMine(page, (boxes) => boxes.length === 1)
  const [again] = await myBoxes(page)
  assert.deepEqual({ ...again }, { ...last })
  const listed = JSON.parse(await cli('cases', '--json')).cases.find((c) => c.image === boxed)
  assert.equal(listed.boxes, ctx.csvBoxes.get(boxed).length + 1)
})

workflow('4. dataset boxes are read-only; panning frame pacing', async () => {
  const { page } = ctx
  const dataset = (await viewer(page)).boxes.find((b) => !b.mine)
  assert.ok(dataset, 'the case has a dataset box')
  assert.equal(await page.getAttribute(`[data-testid="case-box"][data-box-id="${dataset.id}"]`, 'data-mine'), 'false')
  await dragImage(
    page,
    { x: dataset.x + dataset.w / 2, y: dataset.y + dataset.h / 2 },
    { x: dataset.x + dataset.w / 2 + 80, y: dataset.y + dataset.h / 2 + 60 },
    { steps: 30 },
  )
  stats.pan = await page.evaluate(() => window.__cxrViewer.frameStats())
  const after = (await viewer(page)).boxes.find((b) => b.id === dataset.id)
  assert.deepEqual(after, dataset, 'dataset box geometry unchanged after a drag attempt')
  await page.click('[data-testid="fit-button"]')
  await page.click('[data-testid="show-others-toggle"]')
  await page.waitForFunction((n) => window.__cxrViewer.boxesDrawn === n, 1)
  await page.click('[data-testid="show-others-toggle"]')
  console.log(
    `# [informational] frame intervals: box drag p50 ${stats.drag.p50ms.toFixed(1)} ms p95 ${stats.drag.p95ms.toFixed(1)} ms (${stats.drag.frames} frames); ` +
      `pan p50 ${stats.pan.p50ms.toFixed(1)} ms p95 ${stats.pan.p95ms.toFixed(1)} ms (${stats.pan.frames} frames)`,
  )
  // The intervals are printed, not asserted: a wall-clock bound fails on a loaded CI machine (two
  // descheduled frames of 35 make a p95) whatever the code does; the frame counts show it drew at all.
  assert.ok(stats.drag.frames > 3 && stats.pan.frames > 3)
})

workflow('5. another finding changes the heatmap; IoU panel equals the pipeline recomputed in Node', async () => {
  const { page } = ctx
  // Random weights: Grad-CAM of some findings is flat (all zero after ReLU). Use the first finding
  // whose map has structure, and label my box with it so the panel scores it.
  const findings = await page.$$eval('[data-testid="prediction-row"]', (rows) => rows.map((r) => r.getAttribute('data-finding')))
  let chosen = null
  let previous = (await viewer(page)).heatmap.finding
  for (const finding of findings) {
    if (finding === previous) continue
    await openSection(page, 'findings')
    await page.click(`[data-testid="prediction-row"][data-finding="${finding}"]`)
    await page.waitForFunction(
      (f) => window.__cxrViewer?.heatmap?.finding === f && window.__cxrViewer?.heatmapValues?.values?.length > 0,
      finding,
    )
    previous = finding
    const { values } = (await viewer(page)).heatmapValues
    if (Math.max(...values) > Math.min(...values)) {
      chosen = finding
      break
    }
  }
  assert.ok(chosen, 'some finding has a non-flat map')
  const mine = (await myBoxes(page))[0]
  await openSection(page, 'boxes')
  await page.click(`[data-testid="case-box"][data-box-id="${mine.id}"]`)
  await page.selectOption('[data-testid="box-finding-select"]', chosen)
  await waitMine(page, (boxes, f) => boxes[0].finding === f, chosen)
  await saved(page)
  const row = await page.waitForSelector(`[data-testid="iou-row"][data-box-id="${mine.id}"]`)
  const shown = Number(await row.getAttribute('data-iou'))
  const hook = await viewer(page)
  const expected = expectedIou(
    hook.heatmapValues,
    hook.boxes.find((b) => b.id === mine.id),
  )
  console.log(
    `# IoU panel: box ${mine.id} (${chosen}) UI ${shown.toFixed(6)} vs Node ${expected.toFixed(6)}; IoBB ${await row.getAttribute('data-iobb')}, hit ${await row.getAttribute('data-hit')}; ${hook.predictedBoxes.length} thresholded region(s)`,
  )
  assert.ok(Math.abs(shown - expected) < 1e-9, `IoU ${shown} vs ${expected}`)
  assert.ok(hook.predictedBoxes.length >= 1)
})
