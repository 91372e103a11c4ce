// End-to-end: the out-of-distribution warning (issue 18) in browser mode.
//
//   npx electron-vite build && node --test tests/e2e/ood.test.mjs
//
// Two NIH radiographs and an inverted copy of the first are imported and explained (Grad-CAM) by the
// bundled reference model with the built CLI; the worklist must mark exactly the cases the CLI
// flagged (the inverted film at least) with the score in the chip's tooltip, and the inverted case's
// view must show the banner and label its heatmap, which stays drawn. Screenshot: test-artifacts/e2e-ood.png.
import { after, before } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import {
  repoRoot,
  images1024,
  labelsCsv,
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
  workflow,
  openBrowserPage,
  closeAll,
  sel,
} from './harness.mjs'

const INVERTED = 'inverted_film.png'
/** @type {Map<string, boolean>} image → flagged, as `cxr-lens explain --json` said */
const flagged = new Map()

async function cli(...args) {
  const { stdout } = await execFileAsync(process.execPath, [cliJs, ...args, '--data-dir', ctx.dataDir], { cwd: repoRoot, timeout: 180_000 })
  return stdout
}

before(async () => {
  for (const [what, path] of [
    ['build (run npx electron-vite build)', webJs],
    ['build', cliJs],
    ['NIH images', images1024],
    ['Chromium', CHROMIUM],
  ]) {
    if (!existsSync(path)) throw new Error(`missing ${what}: ${path}`)
  }
  mkdirSync(artifacts, { recursive: true })
  ctx.workDir = mkdtempSync(join(tmpdir(), 'cxr-lens-e2e-ood-'))
  ctx.dataDir = join(ctx.workDir, 'data')
  ctx.imagesDir = join(ctx.workDir, 'images')
  mkdirSync(ctx.dataDir)
  mkdirSync(ctx.imagesDir)
  const names = readdirSync(images1024)
    .filter((name) => name.endsWith('.png'))
    .sort()
    .slice(0, 2)
  for (const name of names) symlinkSync(join(images1024, name), join(ctx.imagesDir, name))
  await sharp(join(images1024, names[0])).negate({ alpha: false }).png().toFile(join(ctx.imagesDir, INVERTED))
  ctx.imageNames = [...names, INVERTED]
  await cli('import', '--images', ctx.imagesDir, '--labels', labelsCsv)
  const explained = JSON.parse(await cli('explain', '--model', 'cxr-mobilenet-v1', '--method', 'gradcam', '--all', '--json'))
  assert.equal(explained.ood_unavailable, null, 'the reference model ships its out-of-distribution statistics')
  for (const c of explained.cases) flagged.set(c.image, c.ood.flagged)
  assert.equal(flagged.get(INVERTED), true, `the inverted film is flagged: ${JSON.stringify(explained.cases.map((c) => c.ood))}`)
  // Background analysis off: what the page shows is what the CLI stored.
  ctx.url = await startServer(ctx.dataDir, { CXR_LENS_BACKGROUND: 'off' })
  await openBrowserPage({ httpErrors: true })
  await waitForTotal(ctx.page, 3)
})

after(closeAll)

workflow('the worklist marks the flagged cases, with the score in the tooltip', async () => {
  const { page } = ctx
  for (const image of ctx.imageNames) {
    await page.waitForSelector(sel.row(image), { timeout: WAIT })
    const mark = await page.$eval(sel.row(image), (row) => row.getAttribute('data-ood'))
    assert.equal(mark === 'flagged', flagged.get(image), `${image}: row mark ${mark}, CLI flagged ${flagged.get(image)}`)
  }
  const label = await page.$eval(`${sel.row(INVERTED)} [data-testid="worklist-ood"]`, (chip) => chip.getAttribute('aria-label'))
  assert.match(label ?? '', /^Out of distribution: .*mahalanobis score \d+\.\d > threshold \d+\.\d/)
})

workflow('the case view warns and labels the heatmap, which stays drawn', async () => {
  const { page } = ctx
  await openByClick(page, INVERTED)
  await page.waitForSelector('[data-testid="ood-banner"]', { timeout: WAIT })
  assert.match(
    (await page.textContent('[data-testid="ood-banner"]')) ?? '',
    /Out of distribution: this image is not what the model was made for/,
  )
  await page.waitForFunction(() => !!window.__cxrViewer?.heatmap, null, { timeout: WAIT })
  await page.waitForSelector('[data-testid="ood-heatmap-label"]', { timeout: WAIT })
  assert.match(
    (await page.textContent('[data-testid="ood-heatmap-label"]')) ?? '',
    /outside the model's training distribution: the map may mean nothing/,
  )
  await page.screenshot({ path: join(artifacts, 'e2e-ood.png') })
  // A case the check passed opens without the banner.
  const passed = ctx.imageNames.find((image) => !flagged.get(image))
  if (passed) {
    await openByClick(page, passed)
    await page.waitForFunction(() => !!window.__cxrViewer?.heatmap, null, { timeout: WAIT })
    assert.equal(await page.$('[data-testid="ood-banner"]'), null, `${passed} passed the check: no banner`)
  }
})
