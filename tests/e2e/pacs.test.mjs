// End-to-end PACS retrieve in browser mode, against a real Orthanc (tests/e2e/orthancProcess.mjs):
// the connection is added with the CLI (password on stdin), then in the app's PACS screen a reader
// searches by patient ID (the field says it is not stored), ticks one study, retrieves it (a job with
// progress) and finds its cases in the worklist under pseudonyms, with no identifier on the page.
//
//   npx electron-vite build && node --test tests/e2e/pacs.test.mjs
import { after, before } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  repoRoot,
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
import { DICOMWEB_PLUGIN, ORTHANC_BINARY, startOrthanc } from './orthancProcess.mjs'

/** @type {Awaited<ReturnType<typeof startOrthanc>> | null} */
let orthanc = null
/** @type {{ studies: Array<{ uid: string, accession: string, patientId: string, modality: string }>, patients: Array<{ id: string, name: string, birth: string }> }} */
let fixture

function cliWithStdin(args, stdin) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliJs, ...args], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`cxr-lens ${args.join(' ')} exited ${code}: ${out}`))))
    child.stdin.end(stdin)
  })
}

async function expectNoIdentity(page, where) {
  const text = await page.evaluate(() => document.body.innerText + document.body.innerHTML)
  const secrets = fixture.patients.flatMap((p) => [p.id, p.birth, ...p.name.split('^')])
  for (const secret of secrets) assert.ok(!text.includes(secret), `${where}: the page shows ${secret}`)
}

before(async () => {
  for (const path of [webJs, cliJs, CHROMIUM, ORTHANC_BINARY, DICOMWEB_PLUGIN]) if (!existsSync(path)) throw new Error(`missing ${path}`)
  mkdirSync(artifacts, { recursive: true })
  ctx.workDir = mkdtempSync(join(tmpdir(), 'cxr-lens-e2e-pacs-'))
  ctx.dataDir = join(ctx.workDir, 'data')
  mkdirSync(ctx.dataDir)
  const studiesDir = join(ctx.workDir, 'studies')
  const [made, started] = await Promise.all([
    execFileAsync(process.execPath, ['--import', 'tsx', 'tests/e2e/fixtures/makePacsStudies.ts', studiesDir], {
      cwd: repoRoot,
      timeout: 120_000,
    }),
    startOrthanc(),
  ])
  orthanc = started
  const parsed = JSON.parse(made.stdout)
  fixture = parsed
  for (const file of parsed.files) await orthanc.upload(readFileSync(file))
  await cliWithStdin(
    [
      'pacs',
      'add',
      '--name',
      'Orthanc',
      '--url',
      orthanc.dicomWebUrl,
      '--auth',
      'basic',
      '--user',
      orthanc.user,
      '--data-dir',
      ctx.dataDir,
    ],
    `${orthanc.password}\n`,
  )
  ctx.url = await startServer(ctx.dataDir, { CXR_LENS_BACKGROUND: 'off' })
  await openBrowserPage({ httpErrors: true })
  await waitForTotal(ctx.page, 0)
})

after(async () => {
  await closeAll()
  await orthanc?.stop()
})

workflow('1. the PACS screen tests the connection and searches by patient ID (said not to be stored)', async () => {
  const { page } = ctx
  await page.click('[data-testid="open-pacs"]')
  await page.waitForSelector('[data-testid="pacs-connection-info"]', { timeout: WAIT })
  assert.match((await page.textContent('[data-testid="pacs-connection-info"]')) ?? '', /dicom-web · basic \(user cxr\)/)
  await page.click('[data-testid="pacs-test"]')
  const tested = await page.waitForSelector('[data-testid="pacs-test-result"]', { timeout: WAIT })
  assert.equal(await tested.getAttribute('data-ok'), 'true', (await tested.textContent()) ?? '')
  assert.match((await page.textContent('[data-testid="pacs-dialog"]')) ?? '', /Sent to the PACS only: not stored, not logged/)
  await page.fill('[data-testid="pacs-patient-id"]', fixture.patients[0].id)
  await page.click('[data-testid="pacs-search"]')
  await page.waitForSelector('[data-testid="pacs-result-count"]', { timeout: WAIT })
  const rows = await page.$$eval('[data-testid="pacs-result-row"]', (items) => items.map((row) => row.getAttribute('data-study')))
  assert.deepEqual(rows.sort(), [fixture.studies[0].uid, fixture.studies[1].uid].sort())
})

workflow('2. "Retrieve selected" pulls the CR study into cases that reach the worklist under pseudonyms', async () => {
  const { page } = ctx
  await page.click(`[data-testid="pacs-result-row"][data-study="${fixture.studies[0].uid}"]`)
  await page.click('[data-testid="pacs-retrieve"]')
  const summary = await page.waitForSelector('[data-testid="import-summary"]', { timeout: 60_000 })
  assert.equal(await summary.getAttribute('data-state'), 'succeeded')
  assert.match((await page.textContent('[data-testid="import-summary-counts"]')) ?? '', /\bimported 2\b.*\bfailed 0\b/)
  await page.screenshot({ path: join(artifacts, 'e2e-pacs-dialog.png') })
  // The search shows the study's accession number; once the search is gone (closing the screen) nothing identifying is left.
  await page.click('[data-testid="pacs-close"]')
  await waitForTotal(page, 2)
  const images = await page.$$eval('[data-testid="worklist-row"]', (items) => items.map((row) => row.getAttribute('data-image') ?? ''))
  for (const image of images) assert.match(image, /^img-[0-9a-f]{16}\.dcm$/)
  await expectNoIdentity(page, 'worklist after the pull')
  await page.screenshot({ path: join(artifacts, 'e2e-pacs-worklist.png') })
})
