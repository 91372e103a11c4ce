// `npm run check:package`: packs the app with electron-builder against a stand-in Electron folder
// (the real binary is a download) and checks what a release would contain: the bundled main,
// preload, worker and renderer inside app.asar; every package the bundle requires present in the
// archive (with the WASM codecs' files); native modules unpacked, onnxruntime-node carrying only
// this platform's binaries (and the other platforms' rules pruning theirs), better-sqlite3 without
// its sources and still loading; models as extra resources; the icons; the Electron fuses (declared
// in electron-builder.yml, flipped by electron-builder in the packed executable and read back from
// it); the shell's protocol, dev-URL and webview rules in the packed main bundle. Then every
// installer target's configuration (scripts/package/targetConfig.mjs: metadata, NSIS/MSI per-machine
// options, deb/rpm depends, macOS entitlements, signing only from the environment), build/installer.nsh
// compiled with Debian's makensis (scripts/package/nsisCheck.mjs) and a real .deb built with
// dpkg-deb from electron-builder's own fpm arguments and read back, with lintian where installed
// (scripts/package/debBuild.mjs). Prints the sizes and fails above the budget. A real release:
// `npm ci && npm run dist:linux` (or dist:win / dist:mac) on a machine with network access.
import { execFileSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { builtinModules, createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildAndCheckDeb } from './package/debBuild.mjs'
import { checkNsisInclude } from './package/nsisCheck.mjs'
import { checkTargetConfig } from './package/targetConfig.mjs'

const require = createRequire(import.meta.url)
// electron-builder's own YAML and glob libraries, resolved from it so hoisting does not matter.
const builderRequire = createRequire(require.resolve('app-builder-lib/package.json'))
const yaml = builderRequire('js-yaml')
const { minimatch } = builderRequire('minimatch')
const asar = require('@electron/asar')
// The fuse library electron-builder itself flips the fuses with, so the check reads what it wrote.
const fuses = builderRequire('@electron/fuses')
const { SENTINEL, FuseState } = builderRequire('@electron/fuses/dist/constants')

/** Upper bound for linux-unpacked without the Electron binary: a regression guard, not a target. */
const BUDGET_MB = 200
const ORT = 'node_modules/onnxruntime-node/bin/napi-v6'
const root = new URL('..', import.meta.url).pathname
const config = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8'))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const problems = []

/**
 * The fuses a release must carry (docs/SECURITY.md says what each stops). Keys are electron-builder's
 * `electronFuses` names; values are what the packed binary must hold.
 */
const REQUIRED_FUSES = {
  runAsNode: false,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
  enableCookieEncryption: true,
  grantFileProtocolExtraPrivileges: false,
}
/** electron-builder's option names to @electron/fuses wire positions. */
const FUSE_INDEX = {
  runAsNode: fuses.FuseV1Options.RunAsNode,
  enableCookieEncryption: fuses.FuseV1Options.EnableCookieEncryption,
  enableNodeOptionsEnvironmentVariable: fuses.FuseV1Options.EnableNodeOptionsEnvironmentVariable,
  enableNodeCliInspectArguments: fuses.FuseV1Options.EnableNodeCliInspectArguments,
  enableEmbeddedAsarIntegrityValidation: fuses.FuseV1Options.EnableEmbeddedAsarIntegrityValidation,
  onlyLoadAppFromAsar: fuses.FuseV1Options.OnlyLoadAppFromAsar,
  grantFileProtocolExtraPrivileges: fuses.FuseV1Options.GrantFileProtocolExtraPrivileges,
}
/** Electron's own defaults, in wire order: what an unflipped binary carries (runAsNode on, ...). */
const DEFAULT_WIRE = [1, 0, 1, 1, 0, 0, 0, 1]

function checkFuseConfig() {
  const declared = config.electronFuses ?? {}
  for (const [name, value] of Object.entries(REQUIRED_FUSES)) {
    if (declared[name] !== value)
      problems.push(`electron-builder.yml electronFuses.${name} is ${JSON.stringify(declared[name])}, must be ${value}`)
  }
  // Both fuses are void without an archive, and integrity validation without its recorded hash.
  if (config.asar === false) problems.push('electron-builder.yml sets asar: false, so onlyLoadAppFromAsar would refuse to start')
  if (config.disableAsarIntegrity)
    problems.push('electron-builder.yml sets disableAsarIntegrity, so the integrity fuse has no hash to check')
}

/**
 * The stand-in executable: a shell script carrying a V1 fuse wire (sentinel, version, length, one
 * byte per fuse) at Electron's defaults, so electron-builder's fuse step runs on it exactly as on a
 * real binary and the result can be read back.
 */
function standInExecutable() {
  const wire = Buffer.from(DEFAULT_WIRE.map((on) => (on ? FuseState.ENABLE : FuseState.DISABLE)))
  return Buffer.concat([
    Buffer.from(`#!/bin/sh\n# ${SENTINEL}`),
    Buffer.from([Number(fuses.FuseVersion.V1), wire.length]),
    wire,
    Buffer.from('\n'),
  ])
}

/**
 * The bundled main entries built from scripts/ (benchmarks, the randomization sanity run), read from
 * electron.vite.config.ts so a new benchmark is covered without editing this list: none may ship.
 */
function devOnlyEntries() {
  const viteConfig = readFileSync(join(root, 'electron.vite.config.ts'), 'utf8')
  const names = [...viteConfig.matchAll(/(\w+):\s*resolve\('scripts\//g)].map((m) => m[1])
  if (!names.length) problems.push('electron.vite.config.ts lists no entries from scripts/: the developer-entry check would check nothing')
  return names.map((name) => `/out/main/${name}.js`)
}

/** Each required fuse as the executable at `path` holds it, or the problems found reading it. */
async function readFuses(path, label) {
  const wire = await fuses.getCurrentFuseWire(path)
  const found = {}
  for (const [name, index] of Object.entries(FUSE_INDEX)) {
    const state = wire[index]
    found[name] = state === FuseState.ENABLE ? true : state === FuseState.DISABLE ? false : state === undefined ? 'missing' : 'removed'
    if (found[name] !== REQUIRED_FUSES[name]) problems.push(`${label}: fuse ${name} is ${found[name]}, must be ${REQUIRED_FUSES[name]}`)
  }
  return found
}

/**
 * A real Electron binary, where one is installed (not here: ELECTRON_SKIP_BINARY_DOWNLOAD): its
 * wire must be V1 and long enough for every configured fuse, or the release's fuse step throws.
 */
async function checkRealElectron() {
  const binary = join(root, 'node_modules', 'electron', 'dist', 'electron')
  if (!existsSync(binary)) return 'absent (ELECTRON_SKIP_BINARY_DOWNLOAD): its fuse wire was not read'
  const wire = await fuses.getCurrentFuseWire(binary)
  const length = Object.keys(wire).filter((k) => k !== 'version').length
  const needed = Math.max(...Object.values(FUSE_INDEX)) + 1
  if (wire.version !== fuses.FuseVersion.V1 || length < needed)
    problems.push(
      `node_modules/electron/dist/electron has fuse wire v${wire.version} of ${length} fuses; the config needs v1 with ${needed}`,
    )
  return `fuse wire v${wire.version}, ${length} fuses (unflipped; a release flips them)`
}

/**
 * The shell's rules as the packed main bundle holds them: the app protocol registered and handled,
 * the dev-server URL guarded by app.isPackaged, webviews refused, nothing loaded from file://. The
 * behaviour itself is tested on the built bundle by tests/e2e/electronShell.test.mjs.
 */
function checkShellBundle(asarPath, files) {
  const main = [...files]
    .filter((f) => /^\/out\/main\/[^/]+\.js$/.test(f))
    .map((f) => asar.extractFile(asarPath, f.slice(1)).toString())
    .join('\n')
  const required = {
    'registerSchemesAsPrivileged(': 'the app scheme registration',
    'protocol.handle(': 'the app protocol handler',
    '.isPackaged': 'the dev-URL guard',
    'will-attach-webview': 'the webview refusal',
    'setPermissionCheckHandler(': 'the permission check refusal',
  }
  for (const [needle, what] of Object.entries(required))
    if (!main.includes(needle)) problems.push(`packed main bundle lacks ${what} (${needle})`)
  if (main.includes('.loadFile(')) problems.push('packed main bundle still loads a file:// page (loadFile)')
}

function sizeOf(path) {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.size
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0)
}
const mb = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10

/** Bare package names (with any subpath) that the bundled main-side code requires at run time. */
function bundleRequires() {
  const builtins = new Set([...builtinModules, 'electron'])
  const found = new Set()
  const dir = join(root, 'out', 'main')
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
    for (const [, spec] of readFileSync(join(dir, file), 'utf8').matchAll(/require\("([^".][^"]*)"\)/g)) {
      if (!spec.startsWith('node:') && !builtins.has(spec.split('/')[0])) found.add(spec)
    }
  }
  return [...found]
}

/** Checks that each required package (and the file a subpath export names) is inside app.asar. */
function checkRequires(asarPath, files) {
  for (const spec of bundleRequires()) {
    const parts = spec.split('/')
    const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
    const manifest = `/node_modules/${name}/package.json`
    if (!files.has(manifest)) {
      problems.push(`app.asar lacks ${name}, which the bundle requires`)
      continue
    }
    const subpath = spec.slice(name.length)
    if (!subpath) continue
    const target = JSON.parse(asar.extractFile(asarPath, manifest.slice(1)).toString()).exports?.[`.${subpath}`]
    if (typeof target !== 'string' || !files.has(join(`/node_modules/${name}`, target))) problems.push(`app.asar lacks ${spec}`)
  }
  // The codecs load their WebAssembly beside their scripts.
  for (const wasm of [
    '@cornerstonejs/codec-openjpeg/dist/openjpegwasm_decode.wasm',
    '@cornerstonejs/codec-charls/dist/charlswasm_decode.wasm',
  ]) {
    if (!files.has(`/node_modules/${wasm}`)) problems.push(`app.asar lacks ${wasm}`)
  }
}

/** The onnxruntime binaries a platform's rules keep, from the config's exclusion patterns. */
function keptOrtBinaries(platform, arch) {
  const excludes = [...(config.files ?? []), ...(config[platform]?.files ?? [])]
    .filter((p) => typeof p === 'string' && p.startsWith('!'))
    .map((p) => p.slice(1).replaceAll('${arch}', arch))
  const binaries = []
  for (const os of readdirSync(join(root, ORT))) {
    for (const a of readdirSync(join(root, ORT, os))) binaries.push(`${ORT}/${os}/${a}/onnxruntime_binding.node`)
  }
  return binaries.filter((file) => !excludes.some((pattern) => minimatch(file, pattern, { dot: true })))
}

function checkPruningRules() {
  for (const [platform, os, arches] of [
    ['linux', 'linux', ['x64', 'arm64']],
    ['win', 'win32', ['x64', 'arm64']],
    ['mac', 'darwin', ['arm64']],
  ]) {
    for (const arch of arches) {
      const kept = keptOrtBinaries(platform, arch)
      const expected = [`${ORT}/${os}/${arch}/onnxruntime_binding.node`]
      if (JSON.stringify(kept) !== JSON.stringify(expected))
        problems.push(`${platform} ${arch} rules keep ${JSON.stringify(kept)}, expected ${JSON.stringify(expected)}`)
    }
  }
}

function checkIcons() {
  const icons = { png: 'icon.png', ico: 'icon.ico', icns: 'icon.icns' }
  for (const file of Object.values(icons)) if (!existsSync(join(root, 'build', file))) problems.push(`build/${file} missing`)
  for (const [platform, file] of [
    ['linux', 'build/icon.png'],
    ['win', 'build/icon.ico'],
    ['mac', 'build/icon.icns'],
  ]) {
    if (config[platform]?.icon !== file) problems.push(`electron-builder.yml ${platform}.icon is not ${file}`)
  }
}

/** What of better-sqlite3 a package may carry: its JavaScript, manifest, licence and compiled addon. */
const SQLITE_KEEP = /^(package\.json|LICENSE|README\.md|lib\/.*|build\/Release\/better_sqlite3\.node)$/

/**
 * better-sqlite3 as packed: nothing beyond what it needs at run time (its SQLite sources and build
 * objects are ~20 MB), and it still opens a database when loaded from the packed folder (with the
 * `bindings` helper it resolves its addon through, which lives in app.asar).
 */
function checkPackedSqlite(unpacked, work) {
  const packed = join(unpacked, 'node_modules', 'better-sqlite3')
  const walk = (dir, prefix = '') =>
    readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(dir, `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
    )
  const extra = walk(packed).filter((f) => !SQLITE_KEEP.test(f))
  if (extra.length)
    problems.push(
      `app.asar.unpacked better-sqlite3 carries ${extra.length} files it does not need at run time: ${extra.slice(0, 3).join(', ')}`,
    )
  const probe = join(work, 'sqlite-probe', 'node_modules')
  mkdirSync(probe, { recursive: true })
  cpSync(packed, join(probe, 'better-sqlite3'), { recursive: true })
  for (const dep of ['bindings', 'file-uri-to-path'])
    cpSync(realpathSync(join(root, 'node_modules', dep)), join(probe, dep), { recursive: true })
  try {
    const version = execFileSync(
      process.execPath,
      [
        '-e',
        'const D = require(process.argv[1]); const db = new D(":memory:"); process.stdout.write(db.prepare("select sqlite_version() v").get().v)',
        join(probe, 'better-sqlite3'),
      ],
      { encoding: 'utf8' },
    )
    return { packed_mb: mb(sizeOf(packed)), sqlite: version }
  } catch (error) {
    problems.push(
      `the packed better-sqlite3 does not load: ${
        String(error.stderr || error.message)
          .trim()
          .split('\n')[0]
      }`,
    )
    return { packed_mb: mb(sizeOf(packed)) }
  }
}

/**
 * The folder electron-builder packs. A git worktree whose node_modules is a link to another
 * checkout's makes npm report every package as a link without its dependencies, so the collector
 * drops them at random; packing a copy with a real node_modules (hard links: fast, no space) avoids it.
 */
function packDir(work) {
  if (!lstatSync(join(root, 'node_modules')).isSymbolicLink()) return root
  const stage = join(work, 'app')
  mkdirSync(stage)
  for (const entry of ['package.json', 'package-lock.json', 'electron-builder.yml', 'out', 'build', 'resources'].filter((e) =>
    existsSync(join(root, e)),
  ))
    cpSync(join(root, entry), join(stage, entry), { recursive: true })
  execFileSync('cp', ['-al', realpathSync(join(root, 'node_modules')), join(stage, 'node_modules')])
  return stage
}

const work = mkdtempSync(join(tmpdir(), 'cxr-package-'))
try {
  checkFuseConfig()
  const electron = join(work, 'electron-dist')
  mkdirSync(electron)
  writeFileSync(join(electron, 'electron'), standInExecutable(), { mode: 0o755 })
  writeFileSync(join(electron, 'version'), require('electron/package.json').version)
  const projectDir = packDir(work)
  execFileSync(
    'npx',
    [
      'electron-builder',
      '--linux',
      'dir',
      `-c.electronDist=${electron}`,
      '-c.npmRebuild=false',
      `-c.directories.output=${join(work, 'dist')}`,
    ],
    { cwd: projectDir, stdio: ['ignore', 'ignore', 'inherit'] },
  )
  const appDir = join(work, 'dist', 'linux-unpacked')
  const resources = join(appDir, 'resources')
  const asarPath = join(resources, 'app.asar')
  const files = new Set(asar.listPackage(asarPath))
  // onlyLoadAppFromAsar: the app must be the archive, with no loose app folder beside it.
  if (existsSync(join(resources, 'app'))) problems.push('resources/app exists beside app.asar')
  const executable = join(appDir, config.linux?.executableName ?? config.executableName ?? pkg.name)
  if (!existsSync(executable)) problems.push(`no executable at ${executable}`)
  const packedFuses = existsSync(executable) ? await readFuses(executable, 'packed executable') : {}
  const realElectron = await checkRealElectron()
  checkShellBundle(asarPath, files)
  for (const f of ['/package.json', '/out/main/index.js', '/out/main/jobWorker.js', '/out/preload/index.js', '/out/renderer/index.html'])
    if (!files.has(f)) problems.push(`app.asar lacks ${f}`)
  for (const f of devOnlyEntries())
    if (files.has(f)) problems.push(`app.asar ships the developer entry ${f} (exclude it in electron-builder.yml files)`)
  checkRequires(asarPath, files)
  const unpacked = join(resources, 'app.asar.unpacked')
  for (const f of [
    'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
    `${ORT}/linux/x64/onnxruntime_binding.node`,
    'node_modules/sharp/package.json',
  ]) {
    if (!existsSync(join(unpacked, f))) problems.push(`not unpacked: ${f}`)
  }
  const ortPlatforms = readdirSync(join(unpacked, ORT)).flatMap((os) => readdirSync(join(unpacked, ORT, os)).map((arch) => `${os}/${arch}`))
  if (JSON.stringify(ortPlatforms) !== '["linux/x64"]')
    problems.push(`onnxruntime-node binaries in the linux x64 package: ${ortPlatforms.join(', ')}`)
  const foreign = [...files].filter((f) => f.startsWith(`/${ORT}/`) && !/^(linux|linux\/x64(\/.*)?)$/.test(f.slice(ORT.length + 2)))
  if (foreign.length) problems.push(`app.asar lists other platforms' onnxruntime files: ${foreign.slice(0, 3).join(', ')}`)
  checkPruningRules()
  const sqlite = checkPackedSqlite(unpacked, work)
  checkIcons()
  const models = existsSync(join(resources, 'models')) ? readdirSync(join(resources, 'models')) : []
  if (!models.length) problems.push('resources/models missing')
  // The first run's sample (sample:import reads it from process.resourcesPath/sample).
  for (const file of ['labels.csv', 'boxes.csv', 'README.md', 'images']) {
    if (!existsSync(join(resources, 'sample', file))) problems.push(`resources/sample/${file} missing`)
  }
  const sizes = {
    unpacked_mb: mb(sizeOf(appDir)),
    app_asar_mb: mb(sizeOf(asarPath)),
    app_asar_unpacked_mb: mb(sizeOf(unpacked)),
    models_mb: mb(sizeOf(join(resources, 'models'))),
  }
  if (sizes.unpacked_mb > BUDGET_MB) problems.push(`linux-unpacked is ${sizes.unpacked_mb} MB, over the ${BUDGET_MB} MB budget`)
  const targets = checkTargetConfig({ pkg, config, root, env: process.env }, problems)
  const nsis = checkNsisInclude(root, work, problems)
  const deb = await buildAndCheckDeb(projectDir, appDir, work, config.deb ?? {}, problems)
  console.log(
    JSON.stringify({
      asar_files: files.size,
      ...sizes,
      onnxruntime: ortPlatforms,
      unpacked_modules: readdirSync(join(unpacked, 'node_modules')),
      better_sqlite3: sqlite,
      models,
      fuses: packedFuses,
      real_electron: realElectron,
      ...targets,
      nsis,
      deb,
      problems,
    }),
  )
} finally {
  if (!process.env.KEEP_PACKAGE) rmSync(work, { recursive: true, force: true })
  else console.error(work)
}
// Exit explicitly: electron-builder's exit hook (async-exit-hook, loaded by the deb step) ends the
// process with 0 on beforeExit, which would hide process.exitCode.
process.exit(problems.length ? 1 : 0)
