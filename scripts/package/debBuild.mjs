// Builds a real .deb here with Debian's dpkg-deb from what electron-builder would hand to fpm.
// electron-builder's deb step downloads fpm (a Ruby bundle), which fails offline; its earlier steps
// do not. So the check runs electron-builder's own deb (and rpm) target on the packed
// linux-unpacked folder (`prepackaged`) and stops it at the `effectiveOptionComputed` hook, the
// moment it has computed fpm's arguments: package name, version, maintainer, homepage, description,
// the after-install/after-remove scripts with its macros filled in, the desktop entry and the icon,
// and the `src=dest` file mappings. Those become a staging tree, DEBIAN/control takes the fields fpm
// would write (Depends and Recommends from electron-builder.yml, as fpm receives them), and
// dpkg-deb builds it. dpkg-deb --info/--contents and lintian (when installed) read the result.
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'

const require = createRequire(import.meta.url)

/**
 * lintian tags that electron-builder's fpm-built deb carries too, because of what an Electron
 * application is (a vendor bundle in /opt with its own Chromium, Node and native modules), not
 * because of this configuration. Any other error or warning fails the check.
 */
export const ACCEPTED_LINTIAN = {
  'dir-or-file-in-opt': 'electron-builder installs every Linux package under /opt/<productName>',
  'embedded-library':
    'libvips (sharp) and onnxruntime bundle curl, expat, freetype, lcms2, libjpeg and mbedtls in their prebuilt libraries',
  'unstripped-binary-or-object': 'the prebuilt better-sqlite3 and onnxruntime addons ship as their authors built them',
  'shared-library-is-executable': 'better_sqlite3.node is mode 0755 in its npm package; fpm copies modes as they are',
  'no-copyright-file': 'fpm writes no /usr/share/doc/<package>/copyright (the package is UNLICENSED, in-house)',
  'no-changelog': 'fpm writes no /usr/share/doc/<package>/changelog.gz',
  'command-with-path-in-maintainer-script': "electron-builder's after-install template calls /usr/bin/ischroot (our postrm does not)",
  'maintainer-script-ignores-errors': "electron-builder's after-install template has no set -e (our postrm has)",
  'postrm-removes-alternative': 'electron-builder removes the /usr/bin link in after-remove, the only removal hook it offers',
}

/** electron-builder's Linux target options as fpm receives them, with the staging steps needed. */
async function captureFpmArgs(projectDir, appDir, work) {
  const builder = require('electron-builder')
  const captured = []
  // Runs where electron-builder would start fpm; true stops it there. Its temporary files (the
  // filled-in scripts, the desktop entry) are read now, before electron-builder deletes them.
  const capture = async (options) => {
    if (!Array.isArray(options) || !Array.isArray(options[0])) return false
    const args = options[0]
    const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined)
    const mappings = args
      .filter((a) => typeof a === 'string' && /^\/.+=\/.+/.test(a))
      .map((a) => ({ src: a.slice(0, a.indexOf('=/')), dest: a.slice(a.indexOf('=/') + 1) }))
    captured.push({
      target: option('--package').endsWith('.rpm') ? 'rpm' : 'deb',
      name: option('--name'),
      version: option('--version'),
      architecture: option('--architecture'),
      maintainer: option('--maintainer'),
      url: option('--url'),
      description: option('--description'),
      priority: option('--deb-priority'),
      category: option('--category'),
      afterInstall: readFileSync(option('--after-install'), 'utf8'),
      afterRemove: readFileSync(option('--after-remove'), 'utf8'),
      mappings: mappings.map((m) => ({ ...m, text: m.src.endsWith('.desktop') ? readFileSync(m.src, 'utf8') : undefined })),
    })
    return true
  }
  // electron-builder logs to stdout, which carries the check's JSON: its lines go to stderr here.
  const { log } = createRequire(require.resolve('electron-builder/package.json'))('builder-util')
  const stream = log.stream
  log.stream = process.stderr
  try {
    await builder.build({
      projectDir,
      prepackaged: appDir,
      targets: builder.Platform.LINUX.createTarget(['deb', 'rpm'], builder.Arch.x64),
      config: { directories: { output: join(work, 'fpm-out') } },
      effectiveOptionComputed: capture,
    })
  } finally {
    log.stream = stream
  }
  return captured
}

/** Copies (hard-links, for the app folder) each of fpm's `src=dest` mappings into the staging tree. */
function stageFiles(stage, mappings) {
  for (const { src, dest, text } of mappings) {
    const target = join(stage, dest)
    mkdirSync(dirname(target), { recursive: true })
    if (text !== undefined) writeFileSync(target, text, { mode: 0o644 })
    else if (statSync(src).isDirectory()) execFileSync('cp', ['-al', src.replace(/\/$/, ''), target])
    else copyFileSync(src, target)
  }
}

function walkFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walkFiles(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  )
}

/** DEBIAN/control as fpm writes it: its fields, Depends/Recommends joined with ", ". */
function controlFile(meta, debConfig, installedKb) {
  const [synopsis, ...rest] = meta.description.split('\n')
  const long = rest
    .join('\n')
    .split('\n')
    .map((line) => (line.trim() === '' ? ' .' : ` ${line.trim()}`))
  const fields = [
    ['Package', meta.name],
    ['Version', meta.version],
    ['Architecture', meta.architecture],
    ['Maintainer', meta.maintainer],
    ['Installed-Size', String(installedKb)],
    ['Depends', (debConfig.depends ?? []).join(', ')],
    ['Recommends', (debConfig.recommends ?? []).join(', ')],
    ['Section', meta.category ?? 'default'],
    ['Priority', meta.priority ?? 'optional'],
    ['Homepage', meta.url],
  ].filter(([, value]) => value)
  return `${fields.map(([k, v]) => `${k}: ${v}`).join('\n')}\nDescription: ${synopsis}\n${long.join('\n')}\n`
}

/** Parses `dpkg-deb --info` fields into an object. */
function controlFields(info) {
  const fields = {}
  for (const [, key, value] of info.matchAll(/^ ([A-Z][\w-]*): (.*)$/gm)) fields[key] = value
  return fields
}

/**
 * Builds the .deb and checks it. Returns a summary for the check's JSON; pushes what failed onto
 * problems. `debConfig` is electron-builder.yml's `deb` section.
 */
export async function buildAndCheckDeb(projectDir, appDir, work, debConfig, problems) {
  if (spawnSync('dpkg-deb', ['--version']).error) {
    problems.push("dpkg-deb not found (Debian's dpkg): the .deb was not built")
    return { built: false }
  }
  const t0 = Date.now()
  const captured = await captureFpmArgs(projectDir, appDir, work)
  const meta = captured.find((c) => c.target === 'deb')
  const rpm = captured.find((c) => c.target === 'rpm')
  if (!meta) {
    problems.push('electron-builder computed no fpm arguments for the deb target')
    return { built: false }
  }
  const stage = join(work, 'deb-stage')
  mkdirSync(join(stage, 'DEBIAN'), { recursive: true })
  stageFiles(stage, meta.mappings)
  const files = walkFiles(stage).filter((f) => !f.startsWith(join(stage, 'DEBIAN')))
  const installedKb = Math.ceil(files.reduce((sum, f) => sum + statSync(f).size, 0) / 1024)
  writeFileSync(join(stage, 'DEBIAN', 'control'), controlFile(meta, debConfig, installedKb))
  writeFileSync(join(stage, 'DEBIAN', 'postinst'), meta.afterInstall, { mode: 0o755 })
  writeFileSync(join(stage, 'DEBIAN', 'postrm'), meta.afterRemove, { mode: 0o755 })
  writeFileSync(
    join(stage, 'DEBIAN', 'md5sums'),
    files.map((f) => `${createHash('md5').update(readFileSync(f)).digest('hex')}  ${relative(stage, f)}\n`).join(''),
  )
  chmodSync(join(stage, 'DEBIAN'), 0o755)
  // Both scripts must be valid shell before dpkg ever runs them as root.
  for (const script of ['postinst', 'postrm']) {
    const syntax = spawnSync('bash', ['-n', join(stage, 'DEBIAN', script)], { encoding: 'utf8' })
    if (syntax.status !== 0) problems.push(`DEBIAN/${script} is not valid bash: ${syntax.stderr.trim()}`)
  }
  const deb = join(work, `${meta.name}_${meta.version}_${meta.architecture}.deb`)
  // gzip -1: this is a layout check; a release uses electron-builder's xz.
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z1', '--build', stage, deb], { stdio: ['ignore', 'ignore', 'inherit'] })
  const info = execFileSync('dpkg-deb', ['--info', deb], { encoding: 'utf8' })
  const fields = controlFields(info)
  const contents = execFileSync('dpkg-deb', ['--contents', deb], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 }).split('\n')
  const productDir = meta.mappings.find((m) => statSync(m.src).isDirectory())?.dest ?? '/opt/?'
  for (const [field, expected] of [
    ['Package', 'cxr-lens'],
    ['Maintainer', meta.maintainer],
    ['Homepage', meta.url],
    ['Depends', (debConfig.depends ?? []).join(', ')],
  ]) {
    if (fields[field] !== expected)
      problems.push(`built .deb control ${field} is ${JSON.stringify(fields[field])}, expected ${JSON.stringify(expected)}`)
  }
  const has = (path) => contents.some((line) => line.endsWith(` .${path}`) || line.includes(` .${path} -> `))
  for (const path of [
    `${productDir}/cxr-lens`,
    `${productDir}/resources/app.asar`,
    `${productDir}/resources/models/`,
    '/usr/share/applications/cxr-lens.desktop',
    '/usr/share/icons/hicolor/512x512/apps/cxr-lens.png',
  ]) {
    if (!has(path)) problems.push(`built .deb lacks ${path}`)
  }
  if (!/purge/.test(meta.afterRemove)) problems.push('the deb postrm has no purge branch (build/linux/after-remove.sh)')
  if (!meta.afterRemove.includes("update-alternatives --remove 'cxr-lens'"))
    problems.push('the deb postrm does not remove the /usr/bin/cxr-lens alternative')
  const lintian = runLintian(deb, problems)
  return {
    built: true,
    file: deb.split('/').pop(),
    deb_mb: Math.round((statSync(deb).size / 2 ** 20) * 10) / 10,
    installed_size_kb: Number(fields['Installed-Size']),
    entries: contents.filter(Boolean).length,
    control: {
      Package: fields.Package,
      Version: fields.Version,
      Architecture: fields.Architecture,
      Maintainer: fields.Maintainer,
      Section: fields.Section,
      Homepage: fields.Homepage,
    },
    rpm_fpm_args: rpm ? { name: rpm.name, maintainer: rpm.maintainer, url: rpm.url } : 'not computed',
    lintian,
    seconds: Math.round((Date.now() - t0) / 100) / 10,
  }
}

/** Runs lintian (Debian's package checker) when installed; unexplained errors and warnings fail. */
function runLintian(deb, problems) {
  if (spawnSync('lintian', ['--version']).error) return 'absent (apt-get install lintian)'
  const run = spawnSync('lintian', ['--tag-display-limit', '0', deb], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 })
  const tags = {}
  for (const [, level, tag] of (run.stdout + run.stderr).matchAll(/^([EWIXP]): \S+(?: \w+)?: ([a-z0-9-]+)/gm)) {
    const key = `${level}: ${tag}`
    tags[key] = (tags[key] ?? 0) + 1
  }
  const unexplained = Object.keys(tags).filter((key) => /^[EW]:/.test(key) && !(key.slice(3) in ACCEPTED_LINTIAN))
  for (const key of unexplained) problems.push(`lintian ${key} (${tags[key]}×) on the built .deb`)
  if (run.status !== 0 && !Object.keys(tags).length)
    problems.push(`lintian failed: ${(run.stderr || run.stdout).trim().split('\n').slice(-3).join(' | ')}`)
  return { tags }
}
