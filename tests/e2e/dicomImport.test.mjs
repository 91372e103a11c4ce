// End-to-end DICOM import in browser mode: a study generated from NIH PNGs (uncompressed, MONOCHROME1,
// JPEG 2000, JPEG-LS, one truncated file, one text file) imported through the Import dialog. The
// summary names the two bad files and the BurnedInAnnotation warning; the four cases reach the
// worklist and open, and no patient name, id or birth date appears anywhere in the page. The 12-bit
// MONOCHROME1 file names WindowCenter 2000 / WindowWidth 3000: its case opens at that window, read
// out in the derived 16-bit PNG's stored values; the others open at the full range.
//
//   npx electron-vite build && node --test tests/e2e/dicomImport.test.mjs
import { after, before } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import {
  repoRoot,
  webJs,
  artifacts,
  CHROMIUM,
  WAIT,
  execFileAsync,
  ctx,
  startServer,
  sel,
  waitForTotal,
  workflow,
  openBrowserPage,
  closeAll,
} from './harness.mjs'

const SECRETS = ['DOE', 'JANE', 'MRN-0042', '19600102', '1.2.826.0.1.3680043.10.999']
let dicomDir = ''

/**
 * The readout makeDicomFolder's mono1.dcm must open at, computed here from its source image: stored
 * (255 − p) × 16, inverted by import (MONOCHROME1) to min..max, then min..max → 0..65535 for the PNG;
 * the window C 2000 W 3000 is inverted and mapped the same way.
 */
async function mono1Readout() {
  const { data } = await sharp(join(repoRoot, '../shared/data/nih/images-256/00000732_005.png'))
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true })
  let lo = 255
  let hi = 0
  for (const p of data) {
    lo = Math.min(lo, p)
    hi = Math.max(hi, p)
  }
  const [min, max] = [(255 - hi) * 16, (255 - lo) * 16]
  const scale = 65535 / (max - min)
  const center = (max + min - 2000 - min) * scale
  const width = 3000 * scale
  return `W ${Math.round((width / 65535) * 65535)} L ${Math.round((center / 65535) * 65535)}`
}

async function expectNoIdentity(page, where) {
  const text = await page.evaluate(() => document.body.innerText + document.body.innerHTML)
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${where}: the page shows ${secret}`)
}

before(async () => {
  for (const path of [webJs, CHROMIUM]) if (!existsSync(path)) throw new Error(`missing ${path}`)
  mkdirSync(artifacts, { recursive: true })
  ctx.workDir = mkdtempSync(join(tmpdir(), 'cxr-lens-e2e-dicom-'))
  ctx.dataDir = join(ctx.workDir, 'data')
  dicomDir = join(ctx.workDir, 'dicom')
  mkdirSync(ctx.dataDir)
  mkdirSync(dicomDir)
  const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', 'tests/e2e/fixtures/makeDicomFolder.ts', dicomDir], {
    cwd: repoRoot,
    timeout: 120_000,
  })
  assert.equal(JSON.parse(stdout).images, 4)
  ctx.url = await startServer(ctx.dataDir)
  await openBrowserPage({ httpErrors: true })
  await waitForTotal(ctx.page, 0)
})

after(closeAll)

workflow('1. DICOM folder through the Import dialog: 4 cases, bad files named, burned-in warning', async () => {
  const { page } = ctx
  await page.click('[data-testid="open-import"]')
  await page.click('[data-testid="import-source-dicom"]')
  await page.fill('[data-testid="import-dicom-dir"]', dicomDir)
  await page.click('[data-testid="import-start"]')
  const summary = await page.waitForSelector('[data-testid="import-summary"]', { timeout: WAIT })
  assert.equal(await summary.getAttribute('data-state'), 'succeeded')
  const counts = await page.textContent('[data-testid="import-summary-counts"]')
  assert.match(counts ?? '', /\bimported 4\b/, `summary: ${counts}`)
  assert.match(counts ?? '', /\bfailed 2\b/)
  const failures = await page.$$eval('[data-testid="import-failure"]', (items) => items.map((item) => item.textContent ?? ''))
  assert.ok(
    failures.some((t) => t.includes('study-1/truncated.dcm') && t.includes('not a readable DICOM file')),
    JSON.stringify(failures),
  )
  assert.ok(
    failures.some((t) => t.includes('study-1/notes.txt') && t.includes('no DICM marker')),
    JSON.stringify(failures),
  )
  const warnings = await page.$$eval('[data-testid="import-warning"]', (items) => items.map((item) => item.textContent ?? ''))
  assert.deepEqual(warnings.length, 1)
  assert.match(warnings[0], /^study-1\/plain\.dcm: BurnedInAnnotation is YES/)
  await expectNoIdentity(page, 'import summary')
  await page.click('[data-testid="import-close"]')
  await waitForTotal(page, 4)
})

workflow('2. the cases carry pseudonyms only, open, and show no identifying attribute', async () => {
  const { page } = ctx
  const images = await page.$$eval('[data-testid="worklist-row"]', (rows) => rows.map((row) => row.getAttribute('data-image') ?? ''))
  assert.equal(images.length, 4)
  for (const image of images) assert.match(image, /^img-[0-9a-f]{16}\.dcm$/)
  const readouts = []
  for (const image of images) {
    await page.click(sel.row(image))
    await page.waitForSelector(sel.loaded(image), { timeout: WAIT })
    // The reading panel shows this case once released (panelGate): check what it shows of this case.
    await page.waitForSelector('[data-testid="panel-cover"]', { state: 'hidden', timeout: WAIT })
    await expectNoIdentity(page, `case ${image}`)
    // The case is loaded only with its record, which carries the window: the readout holds it already.
    readouts.push(/W \d+ L \d+/.exec((await page.textContent('[data-testid="viewer-status"]')) ?? '')?.[0])
    // Window/level in the stored 16-bit PNG's values, not 0–1.
    assert.equal(await page.getAttribute('[data-testid="viewer-status"]', 'data-pixel-max'), '65535')
  }
  // The MONOCHROME1 file's window (C 2000 W 3000) in the PNG's stored values; the rest at the full range.
  const expected = await mono1Readout()
  assert.notEqual(expected, 'W 65535 L 32768')
  assert.deepEqual(
    [...readouts].sort(),
    [expected, 'W 65535 L 32768', 'W 65535 L 32768', 'W 65535 L 32768'].sort(),
    JSON.stringify(readouts),
  )
  // The opened case names its patient by pseudonym. The reading panel catches up after the image is
  // drawn (it is held while a case opens, see stores/panelGate.ts): read it once it is released.
  await page.waitForSelector('[data-testid="panel-cover"]', { state: 'hidden', timeout: WAIT })
  const details = await page.textContent('[data-testid="case-view"]')
  assert.match(details ?? '', /anon-[0-9a-f]{16}/)
  await page.screenshot({ path: join(artifacts, 'e2e-dicom-case.png') })
})
