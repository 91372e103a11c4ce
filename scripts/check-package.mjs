// `npm run check:package`: packs the app with electron-builder against a stand-in Electron folder
// (the real binary is a download) and checks what a release would contain: the bundled main,
// preload and renderer inside app.asar, native modules and the worker unpacked, models as extra
// resources. A real release: `npm ci && npm run dist:linux` (or dist:win / dist:mac) with network.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const require = createRequire(import.meta.url)
const work = mkdtempSync(join(tmpdir(), 'cxr-package-'))
try {
  const electron = join(work, 'electron-dist')
  mkdirSync(electron)
  writeFileSync(join(electron, 'electron'), '#!/bin/sh\n', { mode: 0o755 })
  writeFileSync(join(electron, 'version'), require('electron/package.json').version)
  execFileSync('npx', ['electron-builder', '--linux', 'dir', `-c.electronDist=${electron}`, '-c.npmRebuild=false', `-c.directories.output=${join(work, 'dist')}`], { stdio: ['ignore', 'ignore', 'inherit'] })
  const resources = join(work, 'dist', 'linux-unpacked', 'resources')
  const files = new Set(require('@electron/asar').listPackage(join(resources, 'app.asar')))
  const problems = []
  for (const f of ['/package.json', '/out/main/index.js', '/out/preload/index.js', '/out/renderer/index.html']) if (!files.has(f)) problems.push(`app.asar lacks ${f}`)
  const unpacked = join(resources, 'app.asar.unpacked')
  for (const f of ['out/main/jobWorker.js', 'node_modules/better-sqlite3/build/Release/better_sqlite3.node', 'node_modules/onnxruntime-node/package.json', 'node_modules/sharp/package.json']) {
    if (!existsSync(join(unpacked, f))) problems.push(`not unpacked: ${f}`)
  }
  if (!existsSync(join(resources, 'models'))) problems.push('resources/models missing')
  const models = existsSync(join(resources, 'models')) ? readdirSync(join(resources, 'models')) : []
  console.log(JSON.stringify({ asar_files: files.size, unpacked: readdirSync(join(unpacked, 'node_modules')), models, problems }))
  if (problems.length) process.exit(1)
} finally {
  rmSync(work, { recursive: true, force: true })
}
