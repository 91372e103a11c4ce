// End-to-end test of heatmap editing in browser mode: only a clinical advisor may edit (the button
// for others, and the server for anyone who calls it directly), brush strokes saved as a new version
// linked to the model map, "threshold to mask" and "reset to the model map" on the working copy, and
// the comparison view.
//
//   npx electron-vite build && node --test tests/e2e/heatmapEdit.test.mjs
//
// Setup (8 NIH images, the test model, Grad-CAM maps): see readingSetup.mjs.
import { after, before } from 'node:test'
import assert from 'node:assert/strict'
import { ctx, openByClick, workflow, sel, closeAll, openSection, viewer } from './harness.mjs'
import { otsuMask } from './iouReference.mjs'
import { setupReading, createReader, dragImage, heatmapValues, callApi, secretOf } from './readingSetup.mjs'

let boxed = ''
/** The model map of the boxed case's shown finding, as the canvas first showed it. */
let model = null

before(async () => {
  boxed = await setupReading('heatmap-edit')
})

after(closeAll)

const versions = (page) => page.$$eval('[data-testid="heatmap-version-select"] option', (options) => options.map((o) => o.value))

/** The values on the canvas, once they differ from `previous` (the working copy after a button). */
async function shownValuesAfter(page, previous) {
  await page.waitForFunction((before) => {
    const values = window.__cxrViewer?.heatmapValues?.values
    return values && JSON.stringify(values) !== before
  }, JSON.stringify(previous))
  return (await heatmapValues(page)).values
}

workflow('1. a radiologist may not edit: the button is off and the server refuses a direct call', async () => {
  const { page } = ctx
  await openByClick(page, boxed)
  const radiologist = await createReader(page, 'Dr Rad', 'radiologist')
  model = await heatmapValues(page)
  await openSection(page, 'heatmap')
  assert.equal(await page.isDisabled('[data-testid="edit-heatmap"]'), true)
  // Logged in as the radiologist on its own connection: refused for the role.
  const refused = await callApi(
    'heatmaps:saveEdit',
    { baseId: model.id, readerId: radiologist, values: model.values },
    { readerId: radiologist, secret: secretOf('Dr Rad') },
  )
  assert.equal(refused.ok, false)
  assert.equal(refused.error.code, 'forbidden', JSON.stringify(refused))
  assert.match(refused.error.message, /clinical advisor/)
  // Not logged in at all (a bare readerId proves nothing): refused before anything else.
  const anonymous = await callApi('heatmaps:saveEdit', { baseId: model.id, readerId: radiologist, values: model.values })
  assert.equal(anonymous.ok, false)
  assert.equal(anonymous.error.code, 'forbidden', JSON.stringify(anonymous))
  assert.match(anonymous.error.message, /log in/)
  assert.deepEqual(await versions(page), [String(model.id)], 'nothing was stored')
})

workflow('2. a clinical advisor brushes the map and saves it as a second version; compare', async () => {
  const { page } = ctx
  await createReader(page, 'Advisor Test', 'clinical_advisor')
  await page.waitForSelector(sel.loaded(boxed))
  await page.click('[data-testid="edit-heatmap"]')
  await page.waitForSelector('[data-testid="heatmap-save"]')
  await page.waitForSelector('[data-testid="case-stage"][data-mode="paint"]')
  // The brush says what it does in words, on the panel and on the image, and the cursor is the brush.
  assert.equal(await page.textContent('[data-testid="brush-add"]'), 'Add evidence')
  assert.equal(await page.textContent('[data-testid="brush-erase"]'), 'Erase evidence')
  assert.equal(await page.getAttribute('[data-testid="case-stage"]', 'data-brush'), 'add')
  await page.click('[data-testid="brush-erase"]')
  await page.waitForSelector('[data-testid="case-stage"][data-brush="erase"]')
  assert.match((await page.textContent('[data-testid="viewer-status"]')) ?? '', /brush: erase evidence/)
  await page.click('[data-testid="brush-add"]')
  await page.waitForSelector('[data-testid="case-stage"][data-brush="add"]')
  const radius = Number(await page.getAttribute('[data-testid="case-stage"]', 'data-brush-radius'))
  const { scale, heatmap } = await viewer(page)
  // brush size 1: half a map cell of the 1024² image, on screen
  const expected = 0.5 * (1024 / heatmap.width) * scale
  assert.ok(Math.abs(radius - expected) < 1, `brush cursor radius ${radius} px, expected ${expected}`)
  assert.equal(
    await page.evaluate(() => getComputedStyle(document.querySelector('[data-testid="case-stage"]')).cursor),
    'none',
    'the brush circle is the cursor',
  )
  await dragImage(page, { x: 100, y: 100 }, { x: 400, y: 150 })
  const painted = await shownValuesAfter(page, model.values)
  await page.click('[data-testid="heatmap-save"]')
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="heatmap-version-select"] option').length === 2)
  const [first, second] = await versions(page)
  assert.equal(first, String(model.id), 'the model map stays the first version')
  const stored = await callApi('heatmaps:byId', { id: Number(second) })
  assert.equal(stored.data.editedFrom, model.id)
  assert.deepEqual(
    stored.data.values.map((v) => Math.fround(v)),
    painted.map((v) => Math.fround(v)),
    'the saved version is what was painted',
  )
  await page.click('[data-testid="heatmap-compare"]')
  await page.waitForSelector('[data-testid="heatmap-compare-view"]')
})

workflow('3. threshold to mask, then reset to the model map, on the working copy', async () => {
  const { page } = ctx
  await page.selectOption('[data-testid="heatmap-version-select"]', String(model.id))
  await page.waitForFunction((id) => window.__cxrViewer?.heatmapValues?.id === id, model.id)
  await page.click('[data-testid="edit-heatmap"]')
  await page.waitForSelector('[data-testid="heatmap-threshold-mask"]')

  await page.click('[data-testid="heatmap-threshold-mask"]')
  const mask = await shownValuesAfter(page, model.values)
  const expected = otsuMask(model.values, model.method)
  assert.ok(expected.some((v) => v === 1) && expected.some((v) => v === 0), `the model map has structure: ${expected}`)
  assert.deepEqual(mask, expected, "cells at or above Otsu's threshold of the normalized map")

  await page.click('[data-testid="heatmap-reset"]')
  const reset = await shownValuesAfter(page, mask)
  assert.deepEqual(reset, model.values, 'the working copy is the model map again')

  // Discarding leaves the versions as they were.
  await page.click('[data-testid="edit-heatmap"]')
  await page.waitForSelector('[data-testid="heatmap-save"]', { state: 'detached' })
  assert.equal((await versions(page)).length, 2)
  assert.deepEqual(ctx.pageErrors, [])
})
