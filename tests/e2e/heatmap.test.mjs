// End-to-end test of the analysis UI in browser mode: model panel, probabilities, heatmap overlay.
//
//   npx electron-vite build && node --test tests/e2e/heatmap.test.mjs
//
// Fresh temp data dir; 5 NIH images (symlinks) imported with the built CLI, then the TEST model
// tests/fixtures/engine/tiny-resnet (random weights: the maps mean nothing, the plumbing is what is
// tested). Screenshot: test-artifacts/e2e-heatmap.png.
import { after, before } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs'
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
  WAIT,
  execFileAsync,
  ctx,
  startServer,
  waitForTotal,
  openByClick,
  viewer,
  workflow,
  openBrowserPage,
  closeAll,
  openSection,
  readCsvBoxes,
} from './harness.mjs'
import { cliWithStdin, loginReader, secretOf } from './readingSetup.mjs'

const IMAGES = 5
const MODEL_DIR = join(repoRoot, 'tests/fixtures/engine/tiny-resnet')
const MODEL_ID = 'tiny-resnet'
const FINDINGS = 14

/** Runs the built CLI against the test data dir; returns stdout. */
async function cli(...args) {
  const { stdout } = await execFileAsync(process.execPath, [cliJs, ...args, '--data-dir', ctx.dataDir], { cwd: repoRoot, timeout: 120_000 })
  return stdout
}

async function predictionRows(page) {
  return page.$$eval('[data-testid="prediction-row"]', (rows) =>
    rows.map((row) => ({ finding: row.getAttribute('data-finding'), probability: Number(row.getAttribute('data-probability')) })),
  )
}

/** Waits until the canvas reports a heatmap matching every key of `expected`. */
async function waitForHeatmap(page, expected) {
  await page.waitForFunction(
    (want) => {
      const heatmap = window.__cxrViewer?.heatmap
      return !!heatmap && Object.entries(want).every(([key, value]) => heatmap[key] === value)
    },
    expected,
    { timeout: WAIT },
  )
  return (await viewer(page)).heatmap
}

/**
 * Selects a method, presses Run and waits for its heatmap; returns whether the progress element was
 * seen while it ran (a MutationObserver catches even a short run).
 */
async function runMethod(page, method) {
  await page.selectOption('[data-testid="method-select"]', method)
  await page.evaluate(() => {
    window.__sawProgress = false
    const observer = new MutationObserver(() => {
      if (document.querySelector('[data-testid="analysis-progress"]')) {
        window.__sawProgress = true
        observer.disconnect()
      }
    })
    observer.observe(document.body, { childList: true, subtree: true })
  })
  await page.click('[data-testid="run-model"]')
  await waitForHeatmap(page, { method })
  await page.waitForSelector('[data-testid="analysis-progress"]', { state: 'detached', timeout: WAIT })
  await page.waitForSelector('[data-testid="run-model"]:not([disabled])', { timeout: WAIT })
  return page.evaluate(() => window.__sawProgress)
}

let image = ''

before(async () => {
  for (const [what, path] of [
    ['build (run npx electron-vite build)', webJs],
    ['build', cliJs],
    ['NIH images', images1024],
    ['model fixture', MODEL_DIR],
    ['Chromium', CHROMIUM],
  ]) {
    if (!existsSync(path)) throw new Error(`missing ${what}: ${path}`)
  }
  mkdirSync(artifacts, { recursive: true })
  ctx.workDir = mkdtempSync(join(tmpdir(), 'cxr-lens-e2e-heatmap-'))
  ctx.dataDir = join(ctx.workDir, 'data')
  ctx.imagesDir = join(ctx.workDir, 'images')
  mkdirSync(ctx.dataDir)
  mkdirSync(ctx.imagesDir)
  ctx.imageNames = readdirSync(images1024)
    .filter((name) => name.endsWith('.png'))
    .sort()
    .slice(0, IMAGES)
  assert.equal(ctx.imageNames.length, IMAGES)
  for (const name of ctx.imageNames) symlinkSync(join(images1024, name), join(ctx.imagesDir, name))
  image = ctx.imageNames[0]

  const imported = await cli('import', '--images', ctx.imagesDir, '--labels', labelsCsv, '--boxes', boxesCsv)
  assert.match(imported, new RegExp(`imported ${IMAGES}\\b`), imported)

  ctx.url = await startServer(ctx.dataDir)
  await openBrowserPage({ httpErrors: true })
  await waitForTotal(ctx.page, IMAGES)
})

after(closeAll)

workflow('1. no model installed: the panel says how to import one', async () => {
  const { page } = ctx
  const installed = JSON.parse(await cli('models', '--json')).models
  await openByClick(page, image)
  if (installed.length > 0) return // a bundled model exists: nothing to check here
  await page.waitForSelector('[data-testid="no-model"]', { timeout: WAIT })
  assert.match((await page.textContent('[data-testid="no-model"]')) ?? '', /No model installed.*cxr-lens models import DIR/)
  assert.equal(await page.$('[data-testid="run-model"]'), null)
  assert.equal((await viewer(page))?.heatmap, null)
})

workflow("2. Grad-CAM run: 14 probabilities, CPU chip, heatmap of the box's finding (else the top one)", async () => {
  const { page } = ctx
  await cli('models', 'import', MODEL_DIR)
  // Fine-tuning is in the Models dialog, for clinical advisors (made by the administrator's CLI).
  await cliWithStdin(`${secretOf('Advisor Models')}\n`, 'readers', 'add', '--name', 'Advisor Models', '--role', 'clinical_advisor')
  await page.reload()
  await waitForTotal(page, IMAGES)
  await openByClick(page, image)
  await page.waitForSelector('[data-testid="model-select"]', { timeout: WAIT })
  const models = await page.$$eval('[data-testid="model-select"] option', (options) => options.map((o) => o.value))
  const key = models.find((value) => value.startsWith(`${MODEL_ID}@`))
  assert.ok(key, `model-select lists ${MODEL_ID}: ${JSON.stringify(models)}`)
  await page.selectOption('[data-testid="model-select"]', key)
  // tiny-resnet has a gap_linear head: CAM and layer SHAP are allowed.
  const disabled = await page.$$eval('[data-testid="method-select"] option', (options) =>
    options.filter((o) => o.disabled).map((o) => o.value),
  )
  assert.deepEqual(disabled, [])
  // Fine-tuning is not in the reading panel, and model management is not offered to a reader who
  // is not logged in; a clinical advisor gets it in the top bar.
  assert.equal(await page.$('[data-testid="fine-tune-layers"]'), null, 'no fine-tuning in the reading panel')
  assert.equal(await page.$('[data-testid="open-models"]'), null, 'no Models button before an advisor logs in')
  await loginReader(page, 'Advisor Models')
  await page.click('[data-testid="open-models"]')
  await page.waitForSelector('[data-testid="models-dialog"]')
  assert.ok(
    (await page.$$eval('[data-testid="models-row"]', (rows) => rows.map((r) => r.getAttribute('data-model')))).includes(key),
    'the dialog lists the installed models',
  )
  // Fine-tuning: its residual last block is not a 1×1 convolution, so only the final layer is offered;
  // the bundled MobileNet v1 (when listed) offers its last block too.
  await page.selectOption('[data-testid="fine-tune-model"]', key)
  const layerOptions = () =>
    page.$$eval('[data-testid="fine-tune-layers"] option', (options) => options.map((o) => ({ value: o.value, disabled: o.disabled })))
  await page.waitForSelector('[data-testid="fine-tune-layers"]')
  assert.deepEqual(await layerOptions(), [
    { value: 'head', disabled: false },
    { value: 'head+last-block', disabled: true },
  ])
  const reference = models.find((value) => value.startsWith('cxr-mobilenet-v1@'))
  assert.ok(reference, 'the bundled reference model is listed')
  if (reference) {
    await page.selectOption('[data-testid="fine-tune-model"]', reference)
    await page.waitForFunction(
      () => document.querySelector('[data-testid="fine-tune-layers"] option[value="head+last-block"]')?.disabled === false,
      null,
      { timeout: WAIT },
    )
    // Boxes as supervision: the localization term is offered once they are on, the reference model's first.
    assert.equal(await page.$('[data-testid="fine-tune-box-loss"]'), null, 'no localization term before boxes are chosen')
    await page.selectOption('[data-testid="fine-tune-layers"]', 'head+last-block')
    await page.check('[data-testid="fine-tune-boxes"]')
    await page.waitForSelector('[data-testid="fine-tune-box-loss"]')
    assert.equal(await page.inputValue('[data-testid="fine-tune-box-loss"]'), 'fill+mass')
    assert.deepEqual(await page.$$eval('[data-testid="fine-tune-box-loss"] option', (options) => options.map((o) => o.value)), [
      'fill+mass',
      'fill',
      'mass',
    ])
    await page.uncheck('[data-testid="fine-tune-boxes"]')
    await page.selectOption('[data-testid="fine-tune-layers"]', 'head')
    await page.selectOption('[data-testid="fine-tune-model"]', key)
    await page.waitForFunction(
      () => document.querySelector('[data-testid="fine-tune-layers"] option[value="head+last-block"]')?.disabled === true,
      null,
      { timeout: WAIT },
    )
  }
  assert.deepEqual(await page.$$eval('[data-testid="fine-tune-balance"] option', (options) => options.map((o) => o.value)), [
    'weights',
    'smote',
    'none',
  ])
  await page.click('[data-testid="models-close"]')
  await page.waitForSelector('[data-testid="models-dialog"]', { state: 'detached' })
  await openSection(page, 'findings')
  assert.equal(await page.$$eval('[data-testid="prediction-row"]', (rows) => rows.length), 0, 'no predictions before the first run')

  assert.equal(await runMethod(page, 'gradcam'), true, 'analysis-progress shown while the job ran')
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="prediction-row"]').length === n, FINDINGS, { timeout: WAIT })
  await page.waitForSelector('[data-testid="provider-chip"]', { timeout: WAIT })
  assert.equal((await page.textContent('[data-testid="provider-chip"]'))?.trim(), 'CPU')

  const rows = await predictionRows(page)
  assert.equal(new Set(rows.map((r) => r.finding)).size, FINDINGS)
  for (let i = 1; i < rows.length; i++)
    assert.ok(rows[i - 1].probability >= rows[i].probability, 'rows sorted by probability, highest first')
  for (const row of rows) assert.ok(row.probability >= 0 && row.probability <= 1, `${row.finding} ${row.probability}`)
  const heatmap = await waitForHeatmap(page, { method: 'gradcam' })
  // The map follows the case's radiologist box when it has one (NIH spells Infiltration 'Infiltrate'
  // in the box list), else the top probability; the screen says which.
  const boxFinding = readCsvBoxes(new Set([image]))
    .get(image)?.[0]
    ?.finding.replace(/^Infiltrate$/, 'Infiltration')
  const [expected, why] = boxFinding ? [boxFinding, "from the case's boxes"] : [rows[0].finding, 'highest probability']
  // The default overlay: Hot (legible over a radiograph), transparent below 30% of the map's range.
  assert.deepEqual(
    { ...heatmap, opacity: undefined },
    { finding: expected, method: 'gradcam', width: 8, height: 8, visible: true, opacity: undefined, colormap: 'hot', floor: 0.3 },
  )
  assert.equal(await page.getAttribute('[data-testid="map-choice"]', 'data-reason'), boxFinding ? 'boxes' : 'top')
  assert.match((await page.textContent('[data-testid="map-choice"]')) ?? '', new RegExp(`Map: ${expected} — ${why}`))
  assert.equal(await page.getAttribute(`[data-testid="prediction-row"][data-finding="${expected}"]`, 'data-selected'), 'true')
})

workflow('3. another finding, the h key, the toggle and the opacity slider', async () => {
  const { page } = ctx
  const rows = await predictionRows(page)
  const other = rows[2].finding
  await page.click(`[data-testid="prediction-row"][data-finding="${other}"]`)
  await waitForHeatmap(page, { finding: other, method: 'gradcam', visible: true })
  assert.equal(await page.getAttribute('[data-testid="map-choice"]', 'data-reason'), 'reader')
  await openSection(page, 'heatmap')

  await page.keyboard.press('h')
  await waitForHeatmap(page, { finding: other, visible: false })
  assert.equal(await page.isChecked('[data-testid="heatmap-toggle"]'), false)
  await page.screenshot({ path: join(artifacts, 'e2e-heatmap-hidden.png') })
  await page.click('[data-testid="heatmap-toggle"]')
  await waitForHeatmap(page, { finding: other, visible: true })

  const before = (await viewer(page)).heatmap.opacity
  await page.focus('[data-testid="heatmap-opacity"] input')
  await page.keyboard.press('ArrowRight')
  await page.keyboard.press('ArrowRight')
  await page.waitForFunction((o) => Math.abs((window.__cxrViewer?.heatmap?.opacity ?? o) - (o + 0.1)) < 1e-9, before, { timeout: WAIT })
  // Keys typed into a control (here the slider's input) are not shortcuts.
  await page.keyboard.press('h')
  assert.equal((await viewer(page)).heatmap.visible, true)
  await page.selectOption('[data-testid="heatmap-colormap"]', 'viridis')
  await waitForHeatmap(page, { colormap: 'viridis' })
  await page.selectOption('[data-testid="heatmap-colormap"]', 'jet')
  await waitForHeatmap(page, { colormap: 'jet' })
  await page.selectOption('[data-testid="heatmap-colormap"]', 'hot')
  await waitForHeatmap(page, { colormap: 'hot' })
})

workflow('4. Eigen-CAM run replaces the map; zoom keeps it; screenshot', async () => {
  const { page } = ctx
  const finding = (await viewer(page)).heatmap.finding
  await openSection(page, 'findings')
  await page.selectOption('[data-testid="method-select"]', 'eigencam')
  // Not stored yet: nothing is shown until Run computes it.
  await page.waitForFunction(() => window.__cxrViewer?.heatmap === null, null, { timeout: WAIT })
  assert.equal(await runMethod(page, 'eigencam'), true, 'analysis-progress shown while the job ran')
  await waitForHeatmap(page, { finding, method: 'eigencam', width: 8, height: 8, visible: true })
  assert.equal((await page.textContent('[data-testid="provider-chip"]'))?.trim(), 'CPU')

  // Switching back to Grad-CAM fetches the stored map, no new run.
  await page.selectOption('[data-testid="method-select"]', 'gradcam')
  await waitForHeatmap(page, { finding, method: 'gradcam' })
  await page.selectOption('[data-testid="method-select"]', 'eigencam')
  await waitForHeatmap(page, { finding, method: 'eigencam' })

  // Zoom in: the overlay stays (it shares the image's transform).
  const stage = await page.$('[data-testid="case-stage"]')
  const rect = await stage.boundingBox()
  const fitted = (await viewer(page)).scale
  await page.mouse.move(rect.x + rect.width * 0.4, rect.y + rect.height * 0.4)
  await page.mouse.wheel(0, -200)
  await page.waitForFunction((s) => (window.__cxrViewer?.scale ?? 0) > s * 1.05, fitted, { timeout: WAIT })
  await waitForHeatmap(page, { method: 'eigencam', visible: true })
  await page.screenshot({ path: join(artifacts, 'e2e-heatmap-zoomed.png') })
  await page.click('[data-testid="fit-button"]')
  await page.waitForFunction((s) => Math.abs((window.__cxrViewer?.scale ?? 0) - s) < 1e-9, fitted, { timeout: WAIT })
  await page.mouse.move(0, 0)
  await page.screenshot({ path: join(artifacts, 'e2e-heatmap.png') })
  assert.deepEqual(ctx.pageErrors, [])
})

workflow('5. the probabilities shown equal the CLI infer run', async () => {
  const { page } = ctx
  const shown = await predictionRows(page)
  const out = JSON.parse(await cli('infer', '--model', MODEL_ID, '--case', image, '--json'))
  assert.equal(out.model.id, MODEL_ID)
  assert.equal(out.cases.length, 1)
  assert.equal(out.cases[0].image, image)
  const fromCli = out.cases[0].probabilities
  assert.equal(Object.keys(fromCli).length, FINDINGS)
  for (const { finding, probability } of shown) {
    assert.ok(Math.abs(probability - fromCli[finding]) <= 1e-6, `${finding}: UI ${probability} vs CLI ${fromCli[finding]}`)
  }
  // Reopening the case shows the stored predictions without a run.
  await page.reload()
  await waitForTotal(page, IMAGES)
  await openByClick(page, image)
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="prediction-row"]').length === n, FINDINGS, { timeout: WAIT })
  assert.equal(await page.$('[data-testid="provider-chip"]'), null, 'no run happened, so no provider to show')
})

workflow('6. a model with an MLP head: CAM and layer SHAP are disabled, the method falls back to Grad-CAM', async () => {
  const { page } = ctx
  await cli('models', 'import', join(repoRoot, 'tests/fixtures/engine/tiny-mlp-head'))
  await page.selectOption('[data-testid="method-select"]', 'cam')
  // Opening a case refreshes the model list.
  await page.click(`[data-testid="worklist-row"][data-image="${ctx.imageNames[1]}"]`)
  await openByClick(page, image)
  await page.waitForFunction(
    () => [...document.querySelectorAll('[data-testid="model-select"] option')].some((o) => o.value.startsWith('tiny-mlp-head@')),
    null,
    { timeout: WAIT },
  )
  const key = await page.$$eval('[data-testid="model-select"] option', (options) =>
    options.map((o) => o.value).find((v) => v.startsWith('tiny-mlp-head@')),
  )
  await page.selectOption('[data-testid="model-select"]', key)
  await page.waitForFunction(() => document.querySelector('[data-testid="method-select"]')?.value === 'gradcam', null, { timeout: WAIT })
  const disabled = await page.$$eval('[data-testid="method-select"] option', (options) =>
    options.filter((o) => o.disabled).map((o) => o.value),
  )
  assert.deepEqual(disabled.sort(), ['cam', 'layershap'])
  // Not run with this model yet: no probabilities, no map.
  await page.waitForSelector('[data-testid="no-predictions"]', { timeout: WAIT })
  assert.equal((await viewer(page))?.heatmap, null)
})
