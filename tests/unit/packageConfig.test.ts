// The installer configuration checks behind `npm run check:package` (scripts/package/): the
// repository's own package.json and electron-builder.yml pass, and each fault a release could
// carry (metadata missing, a target dropped, a secret in the config, a broken entitlements plist,
// a broken NSIS include, a half-set signing variable) is named. The full check (packing, the .deb
// built with dpkg-deb, lintian) runs as `npm run check:package`.
import { execFile, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = resolve(__dirname, '../..')
const HAS_MAKENSIS = !spawnSync('makensis', ['-VERSION']).error
const HAS_PYTHON = !spawnSync('python3', ['--version']).error

type Config = Record<string, any>
type Plan = { method: string; builderArgs: string[]; notices: string[]; errors: string[] }
type Summary = { targets: Record<string, string[]>; signing_from_env: Record<string, string>; mac_entitlements: string[] }
interface TargetModule {
  checkTargetConfig(
    input: { pkg: Config; config: Config; root: string; env: Record<string, string | undefined> },
    problems: string[],
  ): Summary
}
interface SigningModule {
  signingPlan(platform: string, env: Record<string, string | undefined>): Plan
}
interface NsisModule {
  checkNsisInclude(root: string, work: string, problems: string[]): { makensis: string; passes?: { pass: string; exe_bytes: number }[] }
}

// The checks are plain ES modules run by Node (no build step); loaded by URL so TypeScript takes
// the shapes above instead of looking for declaration files.
const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(join(ROOT, 'scripts', 'package', file)).href)) as T
const yaml = createRequire(createRequire(join(ROOT, 'package.json')).resolve('app-builder-lib/package.json'))('js-yaml')

let targets: TargetModule
let signing: SigningModule
let nsis: NsisModule
let work: string
const pkg = (): Config => JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
const config = (): Config => yaml.load(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8'))

beforeAll(async () => {
  targets = await load<TargetModule>('targetConfig.mjs')
  signing = await load<SigningModule>('signing.mjs')
  nsis = await load<NsisModule>('nsisCheck.mjs')
  work = mkdtempSync(join(tmpdir(), 'cxr-pkgconfig-'))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

/** The problems for the repository's configuration after `mutate` changed a copy of it. */
function problemsAfter(mutate: (p: Config, c: Config) => void, root = ROOT): string[] {
  const p = pkg()
  const c = config()
  mutate(p, c)
  const problems: string[] = []
  targets.checkTargetConfig({ pkg: p, config: c, root, env: {} }, problems)
  return problems
}

/** A copy of the repository's build/ folder in a scratch root, to break files in. */
function scratchRoot(name: string): string {
  const root = join(work, name)
  cpSync(join(ROOT, 'build'), join(root, 'build'), { recursive: true })
  return root
}

describe('installer target configuration', () => {
  it.runIf(HAS_PYTHON)('passes for the repository as it is, every target declared and nothing signed without variables', () => {
    const problems: string[] = []
    const summary = targets.checkTargetConfig({ pkg: pkg(), config: config(), root: ROOT, env: {} }, problems)
    expect(problems).toEqual([])
    expect(summary.targets).toEqual({ linux: ['AppImage', 'deb', 'rpm'], win: ['nsis', 'msi'], mac: ['dmg'] })
    expect(summary.signing_from_env).toEqual({ win: 'unsigned', mac: 'unsigned' })
    expect(summary.mac_entitlements).toContain('com.apple.security.cs.allow-jit')
  })

  it('names missing package metadata and dist scripts', () => {
    const problems = problemsAfter((p) => {
      delete p.homepage
      p.author = 'CXR Lens'
      delete p.scripts['dist:win']
      p.scripts['dist:mac'] = 'electron-builder --mac'
    })
    expect(problems).toContainEqual(expect.stringContaining('homepage must be an https URL'))
    expect(problems).toContainEqual(expect.stringContaining('author.email missing'))
    expect(problems).toContainEqual(expect.stringContaining('has no dist:win script'))
    expect(problems).toContainEqual(expect.stringContaining('dist:mac must build first'))
  })

  it('names Debian and RPM faults: maintainer, depends, t64 alternatives, relation syntax, description lines, after-remove', () => {
    const problems = problemsAfter((_p, c) => {
      c.linux.maintainer = 'CXR Lens'
      c.linux.target = ['AppImage', 'deb']
      c.linux.description = 'x'.repeat(90)
      c.deb.depends = c.deb.depends
        .filter((d: string) => !d.startsWith('libgbm1'))
        .map((d: string) => (d.startsWith('libasound2') ? 'libasound2' : d))
      c.deb.depends.push('libfoo (>= )')
      c.rpm.depends = c.rpm.depends.filter((d: string) => d !== 'alsa-lib')
    })
    expect(problems).toContainEqual(expect.stringContaining('linux.maintainer must be "Name <email>"'))
    expect(problems).toContainEqual(expect.stringContaining('linux.target lacks rpm'))
    expect(problems).toContainEqual(expect.stringContaining('linux.description line over 79 characters'))
    expect(problems).toContainEqual(expect.stringContaining('deb.depends lacks libgbm1'))
    expect(problems).toContainEqual(expect.stringContaining('"libasound2 | libasound2t64"'))
    expect(problems).toContainEqual(expect.stringContaining('"libfoo (>= )" is not a Debian relation'))
    expect(problems).toContainEqual(expect.stringContaining('rpm.depends lacks alsa-lib'))
  })

  it('names an after-remove script without its purge branch or with a shell syntax error', () => {
    const root = scratchRoot('after-remove')
    const script = join(root, 'build', 'linux', 'after-remove.sh')
    writeFileSync(script, readFileSync(script, 'utf8').replace('"$1" = "purge"', '"$1" = "remove"').replace('exit 0', 'if then'))
    const problems = problemsAfter(() => {}, root)
    expect(problems).toContainEqual(expect.stringContaining('has no purge branch'))
    expect(problems).toContainEqual(expect.stringContaining('is not valid bash'))
  })

  it('names Windows faults: a dropped MSI, a secret or Azure account in the config, forced signing, per-user installs', () => {
    const problems = problemsAfter((_p, c) => {
      c.win.target = ['nsis']
      c.win.signtoolOptions.certificatePassword = 'hunter2'
      c.win.azureSignOptions = { endpoint: 'https://weu.codesigning.azure.net' }
      c.forceCodeSigning = true
      c.nsis.perMachine = false
      c.nsis.deleteAppDataOnUninstall = true
      c.msi.upgradeCode = 'not-a-guid'
      delete c.msi.runAfterFinish
    })
    expect(problems).toContainEqual(expect.stringContaining('win.target lacks msi'))
    expect(problems).toContainEqual(expect.stringContaining('signtoolOptions.certificatePassword is set'))
    expect(problems).toContainEqual(expect.stringContaining('win.azureSignOptions is set'))
    expect(problems).toContainEqual(expect.stringContaining('forceCodeSigning is on'))
    expect(problems).toContainEqual(expect.stringContaining('nsis.perMachine must be true'))
    expect(problems).toContainEqual(expect.stringContaining('deleteAppDataOnUninstall must stay off'))
    expect(problems).toContainEqual(expect.stringContaining('msi.upgradeCode must be a fixed GUID'))
    expect(problems).toContainEqual(expect.stringContaining('msi.runAfterFinish must be false'))
  })

  it.runIf(HAS_PYTHON)('names macOS faults: no hardened runtime, a broken or dangerous entitlements file', () => {
    const root = scratchRoot('entitlements')
    const plist = join(root, 'build', 'entitlements.mac.plist')
    writeFileSync(
      join(root, 'build', 'inherit.plist'),
      readFileSync(plist, 'utf8').replace('<dict>', '<dict>\n    <key>com.apple.security.get-task-allow</key>\n    <true/>'),
    )
    writeFileSync(plist, readFileSync(plist, 'utf8').replace('</dict>', ''))
    const problems = problemsAfter((_p, c) => {
      c.mac.hardenedRuntime = false
      c.mac.entitlementsInherit = 'build/inherit.plist'
    }, root)
    expect(problems).toContainEqual(expect.stringContaining('mac.hardenedRuntime must be true'))
    expect(problems).toContainEqual(
      expect.stringMatching(/mac\.entitlements build\/entitlements\.mac\.plist is not a valid XML property list/),
    )
    expect(problems).toContainEqual(expect.stringContaining('grants com.apple.security.get-task-allow'))
  })
})

describe('build/linux/after-remove.sh (deb postrm, rpm %postun)', () => {
  /**
   * Runs the script as dpkg or rpm would, after filling in electron-builder's macros, with
   * update-alternatives stubbed (it logs its calls) and the per-machine data folder moved into
   * the scratch folder. Returns the exit code, the stub's calls and whether the data survived.
   */
  function runPostrm(arg: string): { code: number | null; calls: string; dataKept: boolean } {
    const dir = mkdtempSync(join(work, 'postrm-'))
    const data = join(dir, 'var-lib-cxr-lens')
    mkdirSync(data)
    writeFileSync(join(data, 'cxr-lens.sqlite'), 'a case database')
    const source = readFileSync(join(ROOT, 'build', 'linux', 'after-remove.sh'), 'utf8')
    expect(source).toContain("MACHINE_DATA='/var/lib/cxr-lens'")
    const script = source
      .replaceAll('${executable}', 'cxr-lens')
      .replaceAll('${sanitizedProductName}', 'CXR Lens')
      .replace("MACHINE_DATA='/var/lib/cxr-lens'", `MACHINE_DATA='${data}'`)
    writeFileSync(join(dir, 'postrm'), script, { mode: 0o755 })
    const bin = join(dir, 'bin')
    mkdirSync(bin)
    writeFileSync(join(bin, 'update-alternatives'), `#!/bin/sh\necho "$@" >> '${join(dir, 'calls')}'\n`, { mode: 0o755 })
    writeFileSync(join(dir, 'calls'), '')
    const run = spawnSync('bash', [join(dir, 'postrm'), arg], { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8' })
    return { code: run.status, calls: readFileSync(join(dir, 'calls'), 'utf8'), dataKept: existsSync(join(data, 'cxr-lens.sqlite')) }
  }

  it('keeps the data on remove and deletes the per-machine folder only on purge', () => {
    expect(runPostrm('remove')).toEqual({ code: 0, calls: '--remove cxr-lens /opt/CXR Lens/cxr-lens\n', dataKept: true })
    expect(runPostrm('purge')).toMatchObject({ code: 0, dataKept: false })
    // rpm erase passes "0": the link goes, the data stays (rpm has no purge).
    expect(runPostrm('0')).toEqual({ code: 0, calls: '--remove cxr-lens /opt/CXR Lens/cxr-lens\n', dataKept: true })
  })

  it('leaves the link and the data alone during an upgrade (rpm runs the old %postun after the new %post)', () => {
    for (const arg of ['1', 'upgrade']) expect(runPostrm(arg)).toEqual({ code: 0, calls: '', dataKept: true })
  })
})

describe('signing from the environment', () => {
  it('builds unsigned with a notice when nothing is set, on every platform', () => {
    for (const platform of ['linux', 'win', 'mac']) {
      const plan = signing.signingPlan(platform, {})
      expect(plan).toMatchObject({ method: 'unsigned', builderArgs: [], errors: [] })
      expect(plan.notices.length).toBeGreaterThan(0)
    }
    expect(signing.signingPlan('win', {}).notices[0]).toContain('UNSIGNED')
  })

  it('takes an Authenticode certificate file as electron-builder reads it, adding no arguments', () => {
    const plan = signing.signingPlan('win', { WIN_CSC_LINK: '/secure/hospital.pfx', WIN_CSC_KEY_PASSWORD: 'x' })
    expect(plan).toMatchObject({ method: 'authenticode-certificate', builderArgs: [], errors: [] })
  })

  it('turns Azure Trusted Signing variables into azureSignOptions, and names a missing one', () => {
    const azure = {
      AZURE_TRUSTED_SIGNING_ENDPOINT: 'https://weu.codesigning.azure.net',
      AZURE_TRUSTED_SIGNING_ACCOUNT: 'hospital',
      AZURE_TRUSTED_SIGNING_PROFILE: 'release',
      AZURE_TENANT_ID: 't',
      AZURE_CLIENT_ID: 'c',
      AZURE_CLIENT_SECRET: 's3cret-value',
    }
    const plan = signing.signingPlan('win', { ...azure, AZURE_TRUSTED_SIGNING_PUBLISHER: 'CN=Hospital, O=Hospital' })
    expect(plan.errors).toEqual([])
    expect(plan.builderArgs).toEqual([
      '-c.win.azureSignOptions.endpoint=https://weu.codesigning.azure.net',
      '-c.win.azureSignOptions.codeSigningAccountName=hospital',
      '-c.win.azureSignOptions.certificateProfileName=release',
      '-c.win.azureSignOptions.publisherName=CN=Hospital, O=Hospital',
    ])
    expect(plan.builderArgs.join(' ')).not.toContain('s3cret-value')
    const partial = signing.signingPlan('win', { ...azure, AZURE_TRUSTED_SIGNING_PROFILE: '', AZURE_CLIENT_SECRET: undefined })
    expect(partial.errors).toEqual([
      expect.stringContaining('AZURE_TRUSTED_SIGNING_PROFILE is not set'),
      expect.stringContaining('neither AZURE_CLIENT_SECRET nor AZURE_CLIENT_CERTIFICATE_PATH'),
    ])
    expect(signing.signingPlan('win', { ...azure, CSC_LINK: 'a.pfx' }).errors).toEqual([expect.stringContaining('set one')])
  })

  it('names the missing notarization variable and refuses two credential sets', () => {
    expect(
      signing.signingPlan('mac', { CSC_LINK: 'id.p12', APPLE_ID: 'it@hospital.org', APPLE_APP_SPECIFIC_PASSWORD: 'p' }).errors,
    ).toEqual([expect.stringContaining('APPLE_TEAM_ID not set')])
    const api = signing.signingPlan('mac', {
      CSC_NAME: 'Developer ID Application: Hospital',
      APPLE_API_KEY: 'k.p8',
      APPLE_API_KEY_ID: 'id',
      APPLE_API_ISSUER: 'iss',
    })
    expect(api).toMatchObject({ method: 'developer-id', errors: [] })
    expect(api.notices.join('\n')).toContain('notarizing with APPLE_API_KEY + APPLE_API_KEY_ID + APPLE_API_ISSUER')
    expect(signing.signingPlan('mac', { APPLE_ID: 'a', APPLE_API_KEY: 'k' }).errors).toEqual([
      expect.stringContaining('more than one credential set'),
    ])
  })

  it('makes `npm run dist` stop before electron-builder runs when a set is incomplete', async () => {
    const env = { ...process.env, AZURE_TRUSTED_SIGNING_ENDPOINT: 'https://weu.codesigning.azure.net', CSC_LINK: '', WIN_CSC_LINK: '' }
    const result = await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'dist.mjs'), '--win'], { env }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    )
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('AZURE_TRUSTED_SIGNING_ACCOUNT is not set')
    expect(result.stderr).not.toContain('electron-builder  version')
  })
})

describe.runIf(HAS_MAKENSIS)('build/installer.nsh under Debian makensis', () => {
  it('compiles in the installer and the uninstaller pass with warnings as errors', () => {
    const problems: string[] = []
    const result = nsis.checkNsisInclude(ROOT, mkdtempSync(join(work, 'nsis-')), problems)
    expect(problems).toEqual([])
    expect(result.passes?.map((p) => p.pass)).toEqual(['installer', 'uninstaller'])
  })

  it('fails naming the pass when the include breaks', () => {
    const root = scratchRoot('nsis')
    const include = join(root, 'build', 'installer.nsh')
    writeFileSync(
      include,
      readFileSync(include, 'utf8')
        .replace('Call un.cxrDeleteData\n', 'Call un.cxrNoSuchFunction\n')
        .replace('!macro customUnInit', '!macro customUnInitTypo'),
    )
    const problems: string[] = []
    nsis.checkNsisInclude(root, mkdtempSync(join(work, 'nsis-')), problems)
    expect(problems).toContainEqual(
      expect.stringContaining("defines customUnInitTypo, which electron-builder's NSIS templates never insert"),
    )
    expect(problems).toContainEqual(expect.stringMatching(/makensis -WX failed on build\/installer\.nsh \(uninstaller pass\)/))
  })
})
