// End-to-end operations for hospital IT in browser mode (issue 20): a machine policy (CXR_LENS_POLICY)
// is shown under More → Configuration, marked "set by policy", and More → Export diagnostics writes a
// ZIP into the data folder that Python reads, holding the installation log the server writes.
//
//   npx electron-vite build && node --test tests/e2e/operations.test.mjs
import { after, before } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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
  workflow,
  openBrowserPage,
  closeAll,
} from './harness.mjs'

before(async () => {
  for (const path of [webJs, cliJs, images1024, CHROMIUM]) if (!existsSync(path)) throw new Error(`missing ${path}`)
  mkdirSync(artifacts, { recursive: true })
  ctx.workDir = mkdtempSync(join(tmpdir(), 'cxr-lens-e2e-ops-'))
  ctx.dataDir = join(ctx.workDir, 'data')
  const images = join(ctx.workDir, 'images')
  mkdirSync(images)
  for (const name of readdirSync(images1024)
    .filter((n) => n.endsWith('.png'))
    .sort()
    .slice(0, 2))
    symlinkSync(join(images1024, name), join(images, name))
  await execFileAsync(process.execPath, [cliJs, 'import', '--images', images, '--labels', labelsCsv, '--data-dir', ctx.dataDir], {
    cwd: repoRoot,
    timeout: 120_000,
  })
  ctx.policy = join(ctx.workDir, 'config.json')
  writeFileSync(
    ctx.policy,
    JSON.stringify({
      features: { fineTuning: false },
      pacs: [{ name: 'Main PACS', aeTitle: 'PACS01', host: 'pacs.hospital.example', port: 11112 }],
      logging: { level: 'info' },
    }),
  )
  process.env.CXR_LENS_POLICY = ctx.policy // the server inherits it
  ctx.url = await startServer(ctx.dataDir)
  await openBrowserPage()
  await waitForTotal(ctx.page, 2)
})

after(closeAll)

workflow('1. More → Configuration shows what the machine policy set, marked as such', async () => {
  const { page } = ctx
  await page.click('[data-testid="operations-menu"]')
  await page.click('[data-testid="show-policy"]')
  const dialog = await page.waitForSelector('[data-testid="policy-dialog"]', { timeout: WAIT })
  const text = (await dialog.textContent()) ?? ''
  assert.ok(text.includes(ctx.policy), `the policy file is named: ${text}`)
  assert.match(text, /Fine-tuningoff \(set by policy\)/)
  assert.match(text, /Main PACS \(PACS01@pacs\.hospital\.example:11112\)/)
  assert.match(text, /Log levelinfo \(set by policy\)/)
  assert.ok(text.includes(join(ctx.dataDir, 'logs', 'cxr-lens.log')), `the log file is shown: ${text}`)
  await page.keyboard.press('Escape')
  await page.waitForSelector('[data-testid="policy-dialog"]', { state: 'detached', timeout: WAIT })
})

workflow("2. More → Export diagnostics writes a ZIP into the data folder, with the server's log", async () => {
  const { page } = ctx
  await page.click('[data-testid="operations-menu"]')
  await page.click('[data-testid="export-diagnostics"]')
  const shown = (await (await page.waitForSelector('[data-testid="diagnostics-path"]', { timeout: WAIT })).textContent()) ?? ''
  const match = /Written to (\S+\.zip)/.exec(shown)
  assert.ok(match, `the path is shown: ${shown}`)
  assert.ok(match[1].startsWith(join(ctx.dataDir, 'diagnostics', 'cxr-lens-diagnostics-')), match[1])
  const listed = execFileSync('python3', ['-m', 'zipfile', '-l', match[1]], { encoding: 'utf8' })
  for (const name of ['versions.json', 'providers.json', 'database.json', 'configuration.json', 'logs/cxr-lens.log'])
    assert.ok(listed.includes(name), `${name} in:\n${listed}`)
  const log = readFileSync(join(ctx.dataDir, 'logs', 'cxr-lens.log'), 'utf8')
  assert.match(log, /"proc":"web".*"msg":"browser mode started"/)
  assert.match(log, /"proc":"web".*"msg":"diagnostics exported"/)
  assert.match(log, /"proc":"cli".*"msg":"import finished"/)
})
