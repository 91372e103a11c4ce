// What `npm run check:package` can check of every installer target without building it here:
// package metadata, the targets declared, per-machine and silent-install options for NSIS and MSI,
// Debian/RPM dependencies and maintainer scripts, the macOS hardened runtime and entitlements,
// and that signing comes only from the environment (and is skipped cleanly without it). Pure
// functions of (package.json, electron-builder.yml, the repository folder): the unit test feeds
// them broken configurations and expects each fault named.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { signingPlan } from './signing.mjs'

/**
 * Libraries a Debian/Ubuntu Electron package must depend on, and which of them Ubuntu 24.04
 * renamed in its 64-bit time_t transition (so the old name needs the t64 name as alternative).
 */
export const REQUIRED_DEB_DEPENDS = [
  'libc6',
  'libgtk-3-0',
  'libnss3',
  'libgbm1',
  'libasound2',
  'libatspi2.0-0',
  'libxtst6',
  'libdrm2',
  'libxkbcommon0',
  'libcups2',
  'libuuid1',
  'libsecret-1-0',
  'libnotify4',
  'xdg-utils',
]
export const T64_RENAMED = ['libgtk-3-0', 'libasound2', 'libatspi2.0-0', 'libcups2']
export const REQUIRED_RPM_DEPENDS = [
  'gtk3',
  'nss',
  'mesa-libgbm',
  'alsa-lib',
  'at-spi2-core',
  'libdrm',
  'libxkbcommon',
  'cups-libs',
  'xdg-utils',
]
/** Entitlements the app needs under the hardened runtime (V8 JIT, WebAssembly codecs). */
export const REQUIRED_ENTITLEMENTS = ['com.apple.security.cs.allow-jit']
/** Entitlements that would open the signed app to debugging, DYLD injection or devices it never uses. */
export const FORBIDDEN_ENTITLEMENTS = [
  'com.apple.security.get-task-allow',
  'com.apple.security.cs.allow-dyld-environment-variables',
  'com.apple.security.cs.disable-executable-page-protection',
  'com.apple.security.device.camera',
  'com.apple.security.device.audio-input',
  'com.apple.security.network.server',
]
/** Signing settings that are secrets or one build machine's: they come from the environment. */
const SECRET_SIGNTOOL_OPTIONS = ['certificateFile', 'certificatePassword']

const GUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/i
const EMAIL = /^[^@\s<>]+@[^@\s<>]+\.[a-z]{2,}$/i
/** One Debian relation alternative: package name, optional version constraint. */
const DEB_RELATION = /^[a-z0-9][a-z0-9+.-]+(\s+\((<<|<=|=|>=|>>)\s*[0-9][\w.:~+-]*\))?$/

const targetsOf = (section) => [section?.target ?? []].flat().map((t) => (typeof t === 'string' ? t : t?.target))

function checkMetadata(pkg, problems) {
  if (!/^https:\/\/\S+$/.test(pkg.homepage ?? ''))
    problems.push('package.json homepage must be an https URL (deb Homepage, rpm URL, electron-builder refuses to build without it)')
  const author = typeof pkg.author === 'object' && pkg.author ? pkg.author : {}
  if (!author.name) problems.push('package.json author.name missing (MSI Manufacturer, NSIS publisher)')
  if (!EMAIL.test(author.email ?? '')) problems.push('package.json author.email missing or not an address (deb/rpm Maintainer)')
  if (!pkg.description || pkg.description.length < 20) problems.push('package.json description missing or shorter than 20 characters')
  if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(pkg.version ?? ''))
    problems.push(`package.json version ${JSON.stringify(pkg.version)} is not x.y.z (MSI needs a numeric version)`)
  if (!pkg.license) problems.push('package.json license missing')
  for (const [script, flag] of [
    ['dist:linux', '--linux'],
    ['dist:win', '--win'],
    ['dist:mac', '--mac'],
  ]) {
    const command = pkg.scripts?.[script]
    if (!command) problems.push(`package.json has no ${script} script`)
    else if (!command.startsWith('electron-vite build && ') || !command.includes(`scripts/dist.mjs ${flag}`))
      problems.push(`package.json ${script} must build first and run scripts/dist.mjs ${flag}: ${JSON.stringify(command)}`)
  }
}

/** Checks one Debian Depends list; returns the base package names (first alternative's name). */
function checkDebDepends(depends, problems) {
  if (!Array.isArray(depends) || !depends.length) {
    problems.push(
      'electron-builder.yml deb.depends is missing (electron-builder would fall back to a list without libgbm1, libasound2 and the t64 names)',
    )
    return
  }
  const names = new Map()
  for (const entry of depends) {
    const alternatives = String(entry)
      .split('|')
      .map((a) => a.trim())
    for (const alt of alternatives)
      if (!DEB_RELATION.test(alt))
        problems.push(
          `deb.depends entry ${JSON.stringify(entry)} is not a Debian relation ("name" or "name (>= version)", alternatives with |)`,
        )
    for (const alt of alternatives)
      names.set(
        alt.split(/[\s(]/)[0],
        alternatives.map((a) => a.split(/[\s(]/)[0]),
      )
  }
  for (const lib of REQUIRED_DEB_DEPENDS) if (!names.has(lib)) problems.push(`deb.depends lacks ${lib}, which Electron loads`)
  for (const lib of T64_RENAMED)
    if (names.has(lib) && !names.get(lib).includes(`${lib}t64`))
      problems.push(`deb.depends ${lib} needs the alternative "${lib} | ${lib}t64" (Ubuntu 24.04 renamed it)`)
}

function checkScript(root, file, label, problems) {
  if (!file) return problems.push(`${label} is not set`)
  const path = join(root, file)
  if (!existsSync(path)) return problems.push(`${label} ${file} does not exist`)
  const syntax = spawnSync('bash', ['-n', path], { encoding: 'utf8' })
  if (syntax.status !== 0) problems.push(`${label} ${file} is not valid bash: ${syntax.stderr.trim()}`)
  const text = readFileSync(path, 'utf8')
  if (!/"\$1" = "purge"/.test(text))
    problems.push(`${label} ${file} has no purge branch (apt purge must be able to remove the data folder)`)
  if (!text.includes("update-alternatives --remove '${executable}'"))
    problems.push(`${label} ${file} no longer removes the /usr/bin link (electron-builder's after-remove does)`)
}

function checkLinux(config, root, problems) {
  const linux = config.linux ?? {}
  for (const target of ['AppImage', 'deb', 'rpm'])
    if (!targetsOf(linux).includes(target)) problems.push(`electron-builder.yml linux.target lacks ${target}`)
  const maintainer = /^(.+) <([^>]+)>$/.exec(linux.maintainer ?? '')
  if (!maintainer || !EMAIL.test(maintainer[2])) problems.push('electron-builder.yml linux.maintainer must be "Name <email>"')
  if (!linux.vendor) problems.push('electron-builder.yml linux.vendor missing')
  if (!linux.category) problems.push("electron-builder.yml linux.category missing (the desktop entry's Categories)")
  if (!linux.synopsis || linux.synopsis.length > 80)
    problems.push('electron-builder.yml linux.synopsis missing or over 80 characters (deb synopsis, rpm Summary)')
  if (!linux.description) problems.push('electron-builder.yml linux.description missing')
  else
    for (const line of linux.description.split('\n'))
      if (line.length > 79)
        problems.push(
          `electron-builder.yml linux.description line over 79 characters (the deb's extended description): ${JSON.stringify(line.slice(0, 40))}…`,
        )
  const deb = config.deb ?? {}
  checkDebDepends(deb.depends, problems)
  if (!deb.packageCategory) problems.push('electron-builder.yml deb.packageCategory missing (the deb Section)')
  checkScript(root, deb.afterRemove, 'electron-builder.yml deb.afterRemove', problems)
  const rpm = config.rpm ?? {}
  if (!Array.isArray(rpm.depends)) problems.push('electron-builder.yml rpm.depends is missing')
  else
    for (const lib of REQUIRED_RPM_DEPENDS)
      if (
        !rpm.depends.some((d) =>
          String(d)
            .split(/[\s()]+/)
            .includes(lib),
        )
      )
        problems.push(`rpm.depends lacks ${lib}`)
  if (rpm.afterRemove !== deb.afterRemove)
    problems.push('electron-builder.yml rpm.afterRemove differs from deb.afterRemove (one script handles both)')
}

function checkWindows(config, root, problems) {
  const win = config.win ?? {}
  for (const target of ['nsis', 'msi'])
    if (!targetsOf(win).includes(target)) problems.push(`electron-builder.yml win.target lacks ${target}`)
  const signtool = win.signtoolOptions ?? {}
  for (const option of SECRET_SIGNTOOL_OPTIONS)
    if (signtool[option] != null)
      problems.push(
        `electron-builder.yml win.signtoolOptions.${option} is set: certificates and passwords come from WIN_CSC_LINK/CSC_LINK and WIN_CSC_KEY_PASSWORD/CSC_KEY_PASSWORD`,
      )
  if (win.azureSignOptions != null)
    problems.push(
      'electron-builder.yml win.azureSignOptions is set: a build without Azure credentials would fail; scripts/dist.mjs adds it from AZURE_TRUSTED_SIGNING_*',
    )
  if (config.forceCodeSigning === true || win.forceCodeSigning === true)
    problems.push('forceCodeSigning is on: a build without certificates would fail')
  if (!(signtool.signingHashAlgorithms ?? []).includes('sha256') || (signtool.signingHashAlgorithms ?? []).includes('sha1'))
    problems.push('electron-builder.yml win.signtoolOptions.signingHashAlgorithms must be [sha256] (SHA-1 Authenticode is deprecated)')
  if (!signtool.rfc3161TimeStampServer)
    problems.push('electron-builder.yml win.signtoolOptions.rfc3161TimeStampServer missing (signatures must outlive the certificate)')
  const nsis = config.nsis ?? {}
  if (nsis.perMachine !== true) problems.push('electron-builder.yml nsis.perMachine must be true (Program Files, all users, HKLM)')
  if (nsis.oneClick !== false)
    problems.push('electron-builder.yml nsis.oneClick must be false (the assisted installer has the uninstall data page)')
  if (nsis.runAfterFinish !== false)
    problems.push('electron-builder.yml nsis.runAfterFinish must be false (a deployment tool would start the app as SYSTEM)')
  if (nsis.deleteAppDataOnUninstall)
    problems.push(
      "electron-builder.yml nsis.deleteAppDataOnUninstall must stay off: data removal is the uninstaller's opt-in page (build/installer.nsh)",
    )
  if (nsis.include !== 'build/installer.nsh') problems.push('electron-builder.yml nsis.include must be build/installer.nsh')
  else if (!existsSync(join(root, nsis.include))) problems.push(`${nsis.include} does not exist`)
  const msi = config.msi ?? {}
  if (msi.perMachine !== true) problems.push('electron-builder.yml msi.perMachine must be true (ALLUSERS=1 for GPO/SCCM/Intune)')
  if (msi.runAfterFinish !== false)
    problems.push('electron-builder.yml msi.runAfterFinish must be false (msiexec /qn under SYSTEM must not start the app)')
  if (!GUID.test(msi.upgradeCode ?? ''))
    problems.push('electron-builder.yml msi.upgradeCode must be a fixed GUID (later MSIs upgrade in place)')
}

/**
 * Parses an XML property list with Python's plistlib (a real plist parser) where Python is
 * installed; returns the dictionary, or an error string.
 */
export function readPlist(path) {
  const run = spawnSync(
    'python3',
    ['-c', 'import json,plistlib,sys; print(json.dumps(plistlib.load(open(sys.argv[1],"rb"), fmt=plistlib.FMT_XML)))', path],
    { encoding: 'utf8' },
  )
  if (run.error) return { error: 'python3 not found: the plist was not parsed' }
  if (run.status !== 0) return { error: run.stderr.trim().split('\n').pop() }
  return { value: JSON.parse(run.stdout) }
}

function checkMac(config, root, problems) {
  const mac = config.mac ?? {}
  if (!targetsOf(mac).includes('dmg')) problems.push('electron-builder.yml mac.target lacks dmg')
  if (mac.hardenedRuntime !== true) problems.push('electron-builder.yml mac.hardenedRuntime must be true (notarization requires it)')
  if (mac.notarize === false)
    problems.push('electron-builder.yml mac.notarize is false: notarization would never run, even with credentials')
  if (mac.identity != null) problems.push('electron-builder.yml mac.identity is set: the identity comes from CSC_LINK/CSC_NAME')
  const entitlements = {}
  for (const key of ['entitlements', 'entitlementsInherit']) {
    const file = mac[key]
    if (!file) {
      problems.push(`electron-builder.yml mac.${key} missing`)
      continue
    }
    if (!existsSync(join(root, file))) {
      problems.push(`mac.${key} ${file} does not exist`)
      continue
    }
    const plist = readPlist(join(root, file))
    if (plist.error) {
      problems.push(`mac.${key} ${file} is not a valid XML property list: ${plist.error}`)
      continue
    }
    for (const name of REQUIRED_ENTITLEMENTS)
      if (plist.value[name] !== true) problems.push(`${file} lacks ${name} = true (V8's JIT under the hardened runtime)`)
    for (const name of FORBIDDEN_ENTITLEMENTS) if (name in plist.value) problems.push(`${file} grants ${name}, which the app must not have`)
    entitlements[key] = Object.keys(plist.value)
  }
  return entitlements
}

/**
 * Runs every target check; returns a summary for the check's JSON (targets, signing as the
 * environment gives it now, entitlement keys) and pushes each fault onto problems.
 */
export function checkTargetConfig({ pkg, config, root, env }, problems) {
  checkMetadata(pkg, problems)
  checkLinux(config, root, problems)
  checkWindows(config, root, problems)
  const entitlements = checkMac(config, root, problems)
  // Without any signing variables every platform must still build: unsigned, with a notice.
  for (const platform of ['linux', 'win', 'mac']) {
    const bare = signingPlan(platform, {})
    if (bare.errors.length || bare.method !== 'unsigned')
      problems.push(`signing for ${platform} without any variables is not a clean unsigned build: ${bare.errors.join('; ') || bare.method}`)
  }
  const signing = {}
  for (const platform of ['win', 'mac']) {
    const plan = signingPlan(platform, env)
    signing[platform] = plan.errors.length ? 'misconfigured' : plan.method
    // A half-set variable here would stop `npm run dist` on this machine: say which, now.
    problems.push(...plan.errors)
  }
  return {
    targets: { linux: targetsOf(config.linux), win: targetsOf(config.win), mac: targetsOf(config.mac) },
    signing_from_env: signing,
    mac_entitlements: entitlements.entitlements ?? [],
    msi_upgrade_code: config.msi?.upgradeCode,
  }
}
