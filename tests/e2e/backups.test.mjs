// End-to-end backups in browser mode: the Backups dialog lists snapshots with date, kind and size,
// restores one after a confirmation (the page reloads on the restored database, and a "before a
// restore" snapshot appears); a database damaged while the app was closed opens on the recovery
// screen, which names the problem and restores the latest backup.
//
//   npx electron-vite build && node --test tests/e2e/backups.test.mjs
import { after, before } from 'node:test'
import assert from 'node:assert/strict'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, symlinkSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import {
  repoRoot,
  images1024,
  labelsCsv,
  webJs,
  cliJs,
  artifacts,
  CHROMIUM,
  execFileAsync,
  ctx,
  startServer,
  stopServer,
  waitForTotal,
  workflow,
  openBrowserPage,
  closeAll,
} from './harness.mjs'
import { createReader } from './readingSetup.mjs'

const cli = (...args) => execFileAsync(process.execPath, [cliJs, ...args, '--data-dir', ctx.dataDir], { cwd: repoRoot, timeout: 120_000 })
const rowKinds = (page) => page.$$eval('[data-testid="backup-row"]', (rows) => rows.map((row) => row.getAttribute('data-kind')))

function folderOf(names, dir) {
  mkdirSync(dir)
  for (const name of names) symlinkSync(join(images1024, name), join(dir, name))
  return dir
}

before(async () => {
  for (const path of [webJs, cliJs, images1024, CHROMIUM]) if (!existsSync(path)) throw new Error(`missing ${path}`)
  mkdirSync(artifacts, { recursive: true })
  ctx.workDir = mkdtempSync(join(tmpdir(), 'cxr-lens-e2e-backups-'))
  ctx.dataDir = join(ctx.workDir, 'data')
  mkdirSync(ctx.dataDir)
  const names = readdirSync(images1024)
    .filter((n) => n.endsWith('.png'))
    .sort()
  // Three cases, a manual backup of them, then two more: the backup holds 3, the database 5.
  await cli('import', '--images', folderOf(names.slice(0, 3), join(ctx.workDir, 'a')), '--labels', labelsCsv)
  await cli('backup', '--out', join(ctx.dataDir, 'backups', 'manual-three-cases.sqlite'))
  await cli('import', '--images', folderOf(names.slice(3, 5), join(ctx.workDir, 'b')), '--labels', labelsCsv)
  ctx.url = await startServer(ctx.dataDir)
  await openBrowserPage({ httpErrors: true })
  await waitForTotal(ctx.page, 5)
})

after(closeAll)

workflow('1. the Backups dialog lists snapshots and restores one after confirming', async () => {
  const { page } = ctx
  // Restoring replaces what everyone reads: a logged-in reader does it (here one enrolled in the picker).
  await createReader(page, 'Dr Backup', 'radiologist')
  await page.click('[data-testid="open-backups-dialog"]')
  await page.waitForSelector('[data-testid="backup-row"][data-name="manual-three-cases.sqlite"]')
  assert.deepEqual((await rowKinds(page)).sort(), ['manual', 'scheduled'])
  const row = await page.textContent('[data-testid="backup-row"][data-name="manual-three-cases.sqlite"]')
  assert.match(row ?? '', /Manual/)
  assert.match(row ?? '', /\d+ kB/)
  assert.match(row ?? '', /\d{4}|\d{1,2}\/\d{1,2}/, `a date is shown: ${row}`)
  await page.click('[data-testid="backup-row"][data-name="manual-three-cases.sqlite"] [data-testid="backup-restore"]')
  const confirm = await page.waitForSelector('[data-testid="restore-confirm"]')
  assert.match((await confirm.textContent()) ?? '', /current database is saved first/)
  await Promise.all([page.waitForEvent('load'), page.click('[data-testid="restore-confirm-button"]')])
  await waitForTotal(page, 3)
  await page.click('[data-testid="open-backups-dialog"]')
  await page.waitForSelector('[data-testid="backup-row"][data-kind="pre-restore"]')
  assert.deepEqual((await rowKinds(page)).sort(), ['manual', 'pre-restore', 'scheduled'])
  await page.click('[data-testid="backups-close"]')
})

workflow('2. a damaged database opens on the recovery screen, which restores the latest backup', async () => {
  const { page } = ctx
  await stopServer()
  const dbPath = join(ctx.dataDir, 'cxr-lens.sqlite')
  const db = new Database(dbPath)
  const page1 = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'cases'").get().rootpage
  const size = db.pragma('page_size', { simple: true })
  db.close()
  const fd = openSync(dbPath, 'r+')
  writeSync(fd, Buffer.alloc(size, 0x5a), 0, size, (page1 - 1) * size)
  closeSync(fd)

  ctx.serverLog = ''
  ctx.url = await startServer(ctx.dataDir)
  await page.goto(ctx.url)
  await page.waitForSelector('[data-testid="database-recovery"]')
  assert.match((await page.textContent('[data-testid="database-recovery"]')) ?? '', /The case database is damaged/)
  assert.ok((await page.$$('[data-testid="database-problems"] li')).length > 0)
  // The newest backup is the snapshot taken before the first restore: the five-case database.
  assert.match((await page.getAttribute('[data-testid="latest-backup"]', 'data-name')) ?? '', /^pre-restore-/)
  await page.screenshot({ path: join(artifacts, 'e2e-recovery.png') })
  await page.click('[data-testid="restore-latest"]')
  await page.waitForSelector('[data-testid="restore-confirm"]')
  await Promise.all([page.waitForEvent('load'), page.click('[data-testid="restore-confirm-button"]')])
  await waitForTotal(page, 5)
  assert.equal(await page.$('[data-testid="database-recovery"]'), null)
  assert.ok(
    readdirSync(ctx.dataDir).some((f) => f.startsWith('cxr-lens.sqlite.before-restore-')),
    'the damaged file is kept',
  )
})
