// End-to-end test of a fine-tuning run that ends below its parent, in browser mode at 1600×1000: a
// clinical advisor fine-tunes the reference model from the Models dialog with a learning rate that
// surely wrecks its head (5, one epoch: the same recipe as tests/unit/boxTraining.test.ts); the
// dialog says the new version scores below its parent, names the figures and registers nothing
// until asked. Discard keeps the model list as it was; the same run started again asks again (from
// its checkpoint) and Register then registers it, saying it is below its parent.
//
//   npx electron-vite build && node --test tests/e2e/fineTuneDecision.test.mjs
//
// Setup: 60 NIH 256² images with their labels, imported with the built CLI; background analysis off
// (nothing else competes for the two cores while the run trains).
import { after, before } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { nihDir, labelsCsv, artifacts, ctx, startServer, openBrowserPage, waitForTotal, workflow, closeAll } from './harness.mjs'
import { cli, cliWithStdin, freshReadingDirs, loginReader, secretOf, callApi } from './readingSetup.mjs'

const IMAGES_256 = join(nihDir, 'images-256')
const COUNT = 60
const ADVISOR = 'Advisor Tune'
const TRAIN = { timeout: 300_000 }
let reference = null

before(async () => {
  freshReadingDirs('fine-tune', [['NIH 256² images', IMAGES_256]])
  ctx.imageNames = readdirSync(IMAGES_256)
    .filter((n) => n.endsWith('.png'))
    .sort()
    .slice(900, 900 + COUNT)
  assert.equal(ctx.imageNames.length, COUNT)
  for (const n of ctx.imageNames) symlinkSync(join(IMAGES_256, n), join(ctx.imagesDir, n))
  await cli('import', '--images', ctx.imagesDir, '--labels', labelsCsv)
  // A clinical advisor is made by the administrator's CLI (README, Reading cases), before the picker lists readers.
  await cliWithStdin(`${secretOf(ADVISOR)}\n`, 'readers', 'add', '--name', ADVISOR, '--role', 'clinical_advisor')
  ctx.url = await startServer(ctx.dataDir, { CXR_LENS_BACKGROUND: 'off' })
  await openBrowserPage()
  await waitForTotal(ctx.page, COUNT)
  reference = ((await callApi('models:list', {})).data ?? []).find((m) => m.id === 'cxr-mobilenet-v1') ?? null
})

after(closeAll)

const versions = async () =>
  ((await callApi('models:list', {})).data ?? [])
    .filter((m) => m.id === 'cxr-mobilenet-v1')
    .map((m) => m.version)
    .sort()
const result = (page) =>
  page.$eval('[data-testid="fine-tune-result"]', (e) => ({ kind: e.getAttribute('data-kind'), text: e.textContent ?? '' }))

workflow(
  '1. a run below its parent says so, names the figures and waits; Discard registers nothing; Register registers it, flagged',
  async () => {
    assert.ok(reference, 'the bundled reference model (resources/models) is installed in a fresh data folder')
    const { page } = ctx
    const before = await versions()
    await loginReader(page, ADVISOR)
    // With an advisor's Models button too, the top bar stays one line at 1600 px: only the data folder's path gives way.
    const bar = await page.$eval('header', (h) => ({
      height: h.getBoundingClientRect().height,
      wrapped: [...h.querySelectorAll('button, h1')].filter((e) => e.getBoundingClientRect().height > 40).map((e) => e.textContent),
    }))
    assert.deepEqual(bar.wrapped, [], 'no button or title wraps')
    assert.ok(bar.height <= 56, `top bar ${bar.height} px`)
    // Opened before any case: the dialog loads the installed models itself.
    await page.click('[data-testid="open-models"]')
    await page.waitForSelector('[data-testid="models-dialog"]')
    await page.selectOption('[data-testid="fine-tune-model"]', `${reference.id}@${reference.version}`)
    await page.selectOption('[data-testid="fine-tune-layers"]', 'head')
    // Bad numbers are refused before anything is sent.
    await page.fill('[data-testid="fine-tune-learning-rate"]', '0')
    assert.equal(await page.isDisabled('[data-testid="fine-tune"]'), true, 'a learning rate of 0 is refused')
    await page.fill('[data-testid="fine-tune-epochs"]', '1')
    await page.fill('[data-testid="fine-tune-learning-rate"]', '5')
    assert.equal(await page.isDisabled('[data-testid="fine-tune"]'), false)
    await page.click('[data-testid="fine-tune"]')
    await page.waitForSelector('[data-testid="fine-tune-result"]', { timeout: TRAIN.timeout - 30_000 })
    const asked = await result(page)
    console.log(`# fine-tune below its parent: ${asked.text}`)
    assert.equal(asked.kind, 'ask', asked.text)
    assert.match(asked.text, /^This version scores below its parent \(0\.\d{3} vs 0\.\d{3} validation AUROC\)\. Register anyway\?/)
    await page.screenshot({ path: join(artifacts, 'e2e-fine-tune-ask.png') })
    const [child, parent] = /\((0\.\d{3}) vs (0\.\d{3})/.exec(asked.text).slice(1).map(Number)
    assert.ok(child < parent, `${child} < ${parent}`)
    assert.deepEqual(await versions(), before, 'nothing registered before the advisor decides')

    await page.click('[data-testid="fine-tune-discard"]')
    const discarded = await result(page)
    assert.equal(discarded.kind, 'discarded')
    assert.equal(discarded.text, `Discarded: nothing was registered; ${reference.version} stays the model you read with`)
    assert.equal(await page.$('[data-testid="fine-tune-register"]'), null)
    assert.deepEqual(await versions(), before)

    // The same settings again: the finished run is in its checkpoint, so it asks again without training.
    await page.click('[data-testid="fine-tune"]')
    await page.waitForSelector('[data-testid="fine-tune-result"][data-kind="ask"]', { timeout: TRAIN.timeout - 60_000 })
    await page.click('[data-testid="fine-tune-register"]')
    await page.waitForSelector('[data-testid="fine-tune-result"][data-kind="below"]', { timeout: 60_000 })
    const registered = await result(page)
    assert.match(
      registered.text,
      new RegExp(`— below its parent: keep ${reference.version.replace(/\./g, '\\.')} as the model you read with$`),
    )
    const after = await versions()
    assert.equal(after.length, before.length + 1, `one version more: ${after}`)
    const added = after.find((v) => !before.includes(v))
    assert.match(registered.text, new RegExp(`^New version ${added.replace(/[.+]/g, '\\$&')}`))
    // The dialog's list shows it.
    await page.waitForSelector(`[data-testid="models-row"][data-model="${reference.id}@${added}"]`)
    assert.deepEqual(ctx.pageErrors, [])
  },
  TRAIN,
)
