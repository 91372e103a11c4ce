// End-to-end test of the validation dashboard in browser mode: per-finding rows with the
// ChestX-ray8 paper's value beside ours, macro AUROC, and the CSV export as a real download.
//
//   npx electron-vite build && node --test tests/e2e/dashboard.test.mjs
import { after, before } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs'
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
  execFileAsync,
  ctx,
  readCsvBoxes,
  startServer,
  waitForTotal,
  workflow,
  openBrowserPage,
  closeAll,
  readmeScreenshot,
} from './harness.mjs'

const IMAGES = 8
const MODEL_DIR = join(repoRoot, 'tests/fixtures/engine/tiny-resnet')
let boxedFindings = new Set()

async function cli(...args) {
  const { stdout } = await execFileAsync(process.execPath, [cliJs, ...args, '--data-dir', ctx.dataDir], { cwd: repoRoot, timeout: 300_000 })
  return stdout
}

before(async () => {
  for (const path of [webJs, cliJs, images1024, MODEL_DIR, CHROMIUM]) if (!existsSync(path)) throw new Error(`missing ${path}`)
  mkdirSync(artifacts, { recursive: true })
  ctx.workDir = mkdtempSync(join(tmpdir(), 'cxr-lens-e2e-dashboard-'))
  ctx.dataDir = join(ctx.workDir, 'data')
  ctx.imagesDir = join(ctx.workDir, 'images')
  mkdirSync(ctx.dataDir)
  mkdirSync(ctx.imagesDir)
  const all = readdirSync(images1024)
    .filter((name) => name.endsWith('.png'))
    .sort()
  ctx.csvBoxes = readCsvBoxes(new Set(all))
  ctx.imageNames = [...all.filter((n) => ctx.csvBoxes.has(n)).slice(0, 5), ...all.filter((n) => !ctx.csvBoxes.has(n))].slice(0, IMAGES)
  for (const name of ctx.imageNames) symlinkSync(join(images1024, name), join(ctx.imagesDir, name))
  // BBox_List spells Infiltration as 'Infiltrate'; the importer stores the NIH label name.
  boxedFindings = new Set(
    ctx.imageNames.flatMap((n) => (ctx.csvBoxes.get(n) ?? []).map((b) => (b.finding === 'Infiltrate' ? 'Infiltration' : b.finding))),
  )
  await cli('import', '--images', ctx.imagesDir, '--labels', labelsCsv, '--boxes', boxesCsv)
  await cli('models', 'import', MODEL_DIR)
  // The default model: a bundled reference model when there is one, else the imported test model.
  await cli('explain', '--method', 'gradcam', '--all')
  ctx.url = await startServer(ctx.dataDir)
  await openBrowserPage({ acceptDownloads: true, consoleErrors: false })
  await waitForTotal(ctx.page, IMAGES)
})

after(closeAll)

workflow('1. dashboard: a row per boxed finding with the paper value, macro AUROC', async () => {
  const { page } = ctx
  await page.click('[data-testid="dashboard-tab"]')
  await page.waitForSelector('[data-testid="dashboard-table"]')
  await page.waitForSelector('[data-testid="dashboard-row"]')
  const rows = await page.$$eval('[data-testid="dashboard-row"]', (r) => r.map((x) => x.getAttribute('data-finding')))
  assert.deepEqual(new Set(rows), boxedFindings, `rows ${rows} vs boxed ${[...boxedFindings]}`)
  const paper = await page.$$eval('[data-testid="dashboard-row"] [data-testid="paper-value"]', (cells) => cells.map((c) => c.textContent))
  assert.ok(
    paper.some((text) => /\(\d\.\d\d\)/.test(text ?? '')),
    `paper values shown: ${paper}`,
  )
  const macro = await page.textContent('[data-testid="dashboard-macro-auroc"]')
  assert.match(macro ?? '', /Macro AUROC: (\d\.\d{3}|–)/)
  console.log(`# dashboard: ${rows.length} finding row(s); ${macro}`)
  // Plots read alone: ticks with values on both axes, axis titles, a legend.
  const charts = await page.$$eval('[data-testid="dashboard-roc"] svg[role="img"], svg[data-testid="dashboard-scatter"]', (svgs) =>
    svgs.map((svg) => ({
      name: svg.getAttribute('aria-label'),
      xTicks: svg.querySelectorAll('[data-testid="x-tick"]').length,
      yTicks: svg.querySelectorAll('[data-testid="y-tick"]').length,
      tickValues: [...svg.querySelectorAll('[data-testid="chart-axes"] text')]
        .map((t) => t.textContent)
        .filter((t) => /^[\d.]+$/.test(t ?? '')),
      x: svg.querySelector('[data-testid="x-label"]')?.textContent,
      y: svg.querySelector('[data-testid="y-label"]')?.textContent,
      legend: [...(svg.parentElement?.querySelectorAll('[data-testid="chart-legend-item"]') ?? [])].map((i) => i.textContent),
    })),
  )
  const scatter = charts.find((c) => c.name === 'Probability vs IoU')
  assert.ok(scatter, `scatter plot drawn: ${JSON.stringify(charts)}`)
  assert.deepEqual([scatter.xTicks, scatter.yTicks, scatter.x, scatter.y], [5, 5, 'Model probability', 'Heatmap IoU with the box'])
  assert.deepEqual(scatter.tickValues, ['0', '0', '0.25', '0.25', '0.5', '0.5', '0.75', '0.75', '1', '1'])
  assert.ok(scatter.legend.length > 0, 'scatter legend names the findings')
  for (const roc of charts.filter((c) => c.name?.startsWith('ROC '))) {
    assert.deepEqual([roc.xTicks, roc.yTicks, roc.x, roc.y], [5, 5, 'False positive rate', 'True positive rate'], roc.name)
    assert.deepEqual(roc.legend, [roc.name.slice(4), 'chance'], roc.name)
  }
  // The dashboard scrolls inside the window (fullPage would stop at 1000 px): the window is made tall
  // enough for all of it, at the same width, for the README's picture, then set back.
  const { scrollHeight, clientHeight } = await page.$eval('[data-testid="dashboard"]', (e) => ({
    scrollHeight: e.scrollHeight,
    clientHeight: e.clientHeight,
  }))
  await page.setViewportSize({ width: 1600, height: 1000 + scrollHeight - clientHeight })
  await page.waitForFunction(() => {
    const e = document.querySelector('[data-testid="dashboard"]')
    return !!e && e.scrollHeight <= e.clientHeight + 1
  })
  await page.waitForSelector('svg[data-testid="dashboard-scatter"]')
  await readmeScreenshot(page, 'dashboard')
  await page.setViewportSize({ width: 1600, height: 1000 })
})

workflow('2. CSV export downloads a file with the expected header', async () => {
  const { page } = ctx
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="dashboard-export-csv"]')])
  const file = join(ctx.workDir, download.suggestedFilename())
  await download.saveAs(file)
  const text = readFileSync(file, 'utf8')
  assert.match(text.split('\n')[0], /^finding,n_boxes,iobb_0\.1/)
  const [html] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="dashboard-export-html"]')])
  assert.match(html.suggestedFilename(), /\.html$/)
  assert.deepEqual(ctx.pageErrors, [])
})
