// End-to-end first run in browser mode: an empty data folder, the worklist offers the bundled sample,
// one click imports it and opens a case that gets its Grad-CAM from background analysis (nobody clicks
// Run) over the radiologists' boxes; then an import through the UI gets the model's top 3 in the
// worklist from background analysis alone; then "Analyse cases" runs another model and method on the
// worklist's filtered cases and on the open case only, and on all cases across a restart of the server.
import { after, before } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  repoRoot,
  images1024,
  labelsCsv,
  boxesCsv,
  webJs,
  artifacts,
  CHROMIUM,
  WAIT,
  ctx,
  startServer,
  stopServer,
  waitForTotal,
  viewer,
  workflow,
  openBrowserPage,
  closeAll,
} from './harness.mjs'
import { callApi, cli } from './readingSetup.mjs'

const SAMPLE = join(repoRoot, 'resources/sample')
const sampleImages = readdirSync(join(SAMPLE, 'images'))
  .filter((n) => n.endsWith('.png'))
  .sort()
/** Sample boxes by image, straight from its CSV (1024² pixels, the images' own size). */
const sampleBoxes = new Map()
for (const line of readFileSync(join(SAMPLE, 'boxes.csv'), 'utf8').trim().split(/\r?\n/).slice(1)) {
  const [image, finding] = line.split(',')
  sampleBoxes.set(image, [...(sampleBoxes.get(image) ?? []), finding === 'Infiltrate' ? 'Infiltration' : finding])
}
const EXTRA = 4
const MODEL_DIR = join(repoRoot, 'tests/fixtures/engine/tiny-resnet')

before(async () => {
  for (const [what, path] of [
    ['build', webJs],
    ['NIH images', images1024],
    ['Chromium', CHROMIUM],
    ['sample', SAMPLE],
  ]) {
    if (!existsSync(path)) throw new Error(`missing ${what}: ${path}`)
  }
  mkdirSync(artifacts, { recursive: true })
  ctx.workDir = mkdtempSync(join(tmpdir(), 'cxr-lens-e2e-first-run-'))
  ctx.dataDir = join(ctx.workDir, 'data')
  ctx.imagesDir = join(ctx.workDir, 'images')
  mkdirSync(ctx.dataDir)
  mkdirSync(ctx.imagesDir)
  ctx.imageNames = readdirSync(images1024)
    .filter((n) => n.endsWith('.png') && !sampleImages.includes(n))
    .sort()
    .slice(0, EXTRA)
  for (const n of ctx.imageNames) symlinkSync(join(images1024, n), join(ctx.imagesDir, n))
  ctx.url = await startServer(ctx.dataDir)
  await openBrowserPage()
})

after(closeAll)

workflow(
  "1. first run: the empty worklist opens the sample; a case shows its heatmap over the radiologists' boxes without Run",
  async () => {
    const { page } = ctx
    assert.ok(sampleImages.length > 0 && sampleImages.length <= 16, `the sample has ${sampleImages.length} images`)
    // At most 10 MB under resources/, its source named (public domain NIH ChestX-ray14).
    const bytes = readdirSync(SAMPLE, { recursive: true })
      .map((name) => statSync(join(SAMPLE, name)))
      .filter((s) => s.isFile())
      .reduce((sum, s) => sum + s.size, 0)
    assert.ok(bytes <= 10 * 1024 * 1024, `the sample weighs ${bytes} bytes`)
    assert.match(
      readFileSync(join(SAMPLE, 'README.md'), 'utf8'),
      /NIH Clinical Center ChestX-ray14[\s\S]*https:\/\/nihcc\.app\.box\.com\/v\/ChestXray-NIHCC/,
    )
    await page.waitForSelector('[data-testid="empty-worklist"]', { timeout: WAIT })
    const started = Date.now()
    await page.click('[data-testid="open-sample"]')
    await waitForTotal(page, sampleImages.length)
    // The first row opens by itself.
    const first = sampleImages[0]
    await page.waitForSelector(`[data-testid="case-view"][data-loaded="true"][data-image="${first}"]`, { timeout: WAIT })
    await page.waitForSelector('[data-testid="empty-worklist"]', { state: 'detached' })
    await page.waitForFunction(() => window.__cxrViewer?.heatmap !== null && window.__cxrViewer?.heatmap !== undefined, null, {
      timeout: WAIT,
    })
    const seconds = (Date.now() - started) / 1000
    const state = await viewer(page)
    assert.equal(state.heatmap.method, 'gradcam')
    assert.equal(state.heatmap.visible, true)
    // The radiologists' boxes of that case are on the canvas, under the heatmap.
    const expected = sampleBoxes.get(first)
    assert.ok(expected?.length, `${first} has boxes in the sample`)
    const drawn = (state.boxes ?? []).filter((b) => !b.mine)
    assert.deepEqual(drawn.map((b) => b.finding).sort(), [...expected].sort())
    // ...and the map of each box's finding is stored (the viewer shows whichever finding it picks).
    const caseId = Number(await page.getAttribute('[data-testid="case-view"]', 'data-case-id'))
    const models = (await callApi('models:list', {})).data
    const model = models.find((m) => m.isDefault) ?? models[0]
    for (const finding of expected) {
      const map = await callApi('heatmaps:get', { caseId, model: model.id, version: model.version, finding, method: 'gradcam' })
      assert.ok(map.ok && map.data, `stored Grad-CAM of ${finding} on ${first}`)
    }
    // Nobody clicked Run: the heatmap came from background analysis.
    const status = (await callApi('background:status', {})).data
    assert.equal(status.failed, 0, JSON.stringify(status.failures))
    console.log(`first run: sample opened with a heatmap ${seconds.toFixed(1)} s after the click`)
  },
)

workflow("2. background analysis fills the worklist's model top 3 after an import, without Run", async () => {
  const { page } = ctx
  await page.click('[data-testid="open-import"]')
  await page.fill('[data-testid="import-images-dir"]', ctx.imagesDir)
  await page.fill('[data-testid="import-labels-csv"]', labelsCsv)
  await page.fill('[data-testid="import-boxes-csv"]', boxesCsv)
  await page.click('[data-testid="import-start"]')
  await page.waitForSelector('[data-testid="import-summary"]', { timeout: WAIT })
  await page.click('[data-testid="import-close"]')
  const total = sampleImages.length + EXTRA
  await waitForTotal(page, total)
  for (const image of ctx.imageNames) {
    await page.waitForFunction(
      (name) =>
        document.querySelectorAll(`[data-testid="worklist-row"][data-image="${name}"] [data-testid="worklist-top-findings"] > *`).length ===
        3,
      image,
      { timeout: WAIT },
    )
  }
  // The chip says the queue is through, nothing failed.
  await page.waitForFunction(
    () => {
      const chip = document.querySelector('[data-testid="background-chip"]')
      return chip?.getAttribute('data-pending') === '0' && /^Analysed \d+ cases?/.test(chip.textContent ?? '')
    },
    null,
    { timeout: WAIT },
  )
  assert.equal(await page.getAttribute('[data-testid="background-chip"]', 'data-failed'), '0')
  const page1 = (await callApi('cases:list', { limit: 100 })).data
  assert.equal(page1.total, total)
  assert.ok(
    page1.rows.every((row) => row.topFindings.length === 3),
    "every case has the default model's top 3",
  )
})

/** Whether case `caseId` has a stored map of `finding` by tiny-resnet with `method`. */
async function hasMap(caseId, finding, method, model) {
  const map = await callApi('heatmaps:get', { caseId, model: model.id, version: model.version, finding, method })
  assert.ok(map.ok, JSON.stringify(map))
  return map.data !== null && map.data !== undefined
}

/** Picks an option of one of the Analyse dialog's selects by its label. */
async function pick(page, label, option) {
  await page.getByTestId('analyse-dialog').getByRole('combobox', { name: label }).click()
  await page.getByRole('option', { name: option }).click()
}

workflow(
  '3. "Analyse cases": the filtered cases and the open case, with another model and method, through the background queue',
  async () => {
    const { page } = ctx
    await cli('models', 'import', MODEL_DIR)
    const model = (await callApi('models:list', {})).data.find((m) => m.id === 'tiny-resnet')
    assert.ok(model, 'the test model is installed')
    const rows = (await callApi('cases:list', { limit: 100 })).data.rows
    // The sample's Pneumothorax cases (two of the 16): the worklist filter the run takes.
    await page.getByTestId('worklist-filters').getByRole('combobox', { name: 'Finding' }).click()
    await page.getByRole('option', { name: /^Pneumothorax \(/ }).click()
    const filtered = rows.filter((r) => r.findings.includes('Pneumothorax'))
    assert.ok(filtered.length >= 2 && filtered.length < rows.length, `${filtered.length} of ${rows.length} cases have Pneumothorax`)
    await waitForTotal(page, filtered.length)

    const runAndWait = async (scope, method, methodLabel) => {
      await page.click('[data-testid="open-analyse"]')
      await page.waitForSelector('[data-testid="analyse-dialog"]')
      await page.click(`[data-testid="analyse-scope-${scope}"]`)
      await pick(page, 'Model', `tiny-resnet ${model.version}`)
      await pick(page, 'Method', methodLabel)
      assert.equal(await page.inputValue('[data-testid="analyse-method"]'), method)
      await page.click('[data-testid="analyse-start"]')
      await page.waitForSelector('[data-testid="analyse-dialog"]', { state: 'detached' })
      // The chip shows the run, then that it is through.
      await page.waitForFunction(
        () => document.querySelector('[data-testid="background-chip"]')?.getAttribute('data-pending') === '0',
        null,
        { timeout: 120_000 },
      )
      assert.equal(await page.getAttribute('[data-testid="background-chip"]', 'data-failed'), '0')
    }

    await runAndWait('filtered', 'gradcampp', /^Grad-CAM\+\+/)
    const outside = rows.filter((r) => !r.findings.includes('Pneumothorax'))
    for (const row of filtered) assert.ok(await hasMap(row.id, 'Pneumothorax', 'gradcampp', model), `${row.image}: Grad-CAM++ stored`)
    for (const row of outside.slice(0, 3))
      assert.equal(await hasMap(row.id, 'Pneumothorax', 'gradcampp', model), false, `${row.image} is outside the filter`)
    const probabilities = (await callApi('analysis:predictions', { caseId: filtered[0].id, model: model.id, version: model.version })).data
    assert.equal(probabilities.probabilities.length, 14, "the run stored the other model's 14 probabilities")

    // The open case only: a case outside the filter, opened from the unfiltered worklist.
    await page.getByTestId('worklist-filters').getByRole('combobox', { name: 'Finding' }).click()
    await page.getByRole('option', { name: 'Any' }).click()
    await waitForTotal(page, rows.length)
    const [open, other] = outside
    await page.click(`[data-testid="worklist-row"][data-image="${open.image}"]`)
    await page.waitForSelector(`[data-testid="case-view"][data-loaded="true"][data-image="${open.image}"]`)
    await runAndWait('selected', 'cam', /^CAM/)
    assert.ok(await hasMap(open.id, 'Atelectasis', 'cam', model), `${open.image}: CAM stored`)
    assert.equal(await hasMap(other.id, 'Atelectasis', 'cam', model), false, `${other.image} was not asked for`)
    assert.deepEqual(ctx.pageErrors, [])
  },
)

workflow('4. "Analyse cases" → all cases: the queue outlives a restart of the server and finishes after it', async () => {
  const { page } = ctx
  const model = (await callApi('models:list', {})).data.find((m) => m.id === 'tiny-resnet')
  const rows = (await callApi('cases:list', { limit: 100 })).data.rows
  // Paused first, so that the queue is certainly still full when the server stops.
  await page.click('[data-testid="background-chip"]')
  await page.click('[data-testid="background-pause"]')
  await page.waitForSelector('[data-testid="background-chip"][data-paused="true"]')
  await page.click('[data-testid="open-analyse"]')
  await page.waitForSelector('[data-testid="analyse-dialog"]')
  await page.click('[data-testid="analyse-scope-all"]')
  await pick(page, 'Model', `tiny-resnet ${model.version}`)
  await page.click('[data-testid="analyse-start"]')
  await page.waitForSelector('[data-testid="analyse-dialog"]', { state: 'detached' })
  await page.waitForFunction(
    (n) => Number(document.querySelector('[data-testid="background-chip"]')?.getAttribute('data-pending')) === n,
    rows.length,
  )
  await stopServer()
  ctx.serverLog = ''
  ctx.url = await startServer(ctx.dataDir)
  await page.goto(ctx.url)
  await waitForTotal(page, rows.length)
  await page.waitForSelector('[data-testid="background-chip"]')
  if ((await page.getAttribute('[data-testid="background-chip"]', 'data-paused')) === 'true') {
    await page.click('[data-testid="background-chip"]')
    await page.click('[data-testid="background-pause"]')
  }
  await page.waitForFunction(() => document.querySelector('[data-testid="background-chip"]')?.getAttribute('data-pending') === '0', null, {
    timeout: 120_000,
  })
  for (const row of rows) assert.ok(await hasMap(row.id, 'Atelectasis', 'gradcam', model), `${row.image}: tiny-resnet Grad-CAM stored`)
  assert.deepEqual(ctx.pageErrors, [])
})
