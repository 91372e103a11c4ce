/**
 * The machine policy (issue 20): IT's config.json sets the data folder, the site pseudonym key, PACS
 * connections, features and the log level; a bad file is refused naming the file and the field; a
 * user cannot override what it sets; the app shows it.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { DataFolder } from '../../src/main/config/dataFolder'
import { openServices } from '../../src/main/services/openServices'
import { createDispatcher } from '../../src/main/api/dispatch'
import { createHandlers } from '../../src/main/api/handlers'
import { createSession } from '../../src/main/api/session'
import { CLI_ACTOR, ReaderAccounts } from '../../src/main/readers/readerAccounts'
import { resolveDataDir } from '../../src/main/config/dataDir'
import { machineDataDir, machineLogDir, machinePolicyPath } from '../../src/main/config/machinePaths'
import { forgetPolicy, loadPolicy, loadPolicyFile, policyDataDir, policyInfo, PolicyError } from '../../src/main/config/policy'
import { Pseudonymizer } from '../../src/main/dicom/pseudonyms'
import type { AppInfo } from '../../src/shared/domain'
import { tempDir } from './helpers'
import { CLI, WEB } from './builtCli'

const run = promisify(execFile)
const EXAMPLE = resolve(__dirname, '../../docs/policy.example.json')
const dir = tempDir('cxr-policy-')
afterAll(dir.cleanup)
afterEach(() => {
  delete process.env.CXR_LENS_POLICY
  forgetPolicy()
})

let n = 0
function policyFile(content: unknown): string {
  const file = join(dir.path, `policy-${++n}.json`)
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
  return file
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('machine policy file', () => {
  it('lives where IT expects it on each platform, beside the per-machine data and log folders', () => {
    expect(machinePolicyPath('win32', { ProgramData: 'C:\\ProgramData' })).toBe('C:\\ProgramData\\CXR Lens\\config.json')
    expect(machinePolicyPath('linux', {})).toBe('/etc/cxr-lens/config.json')
    expect(machinePolicyPath('darwin', {})).toBe('/Library/Application Support/CXR Lens/config.json')
    expect(machineDataDir('win32', { ProgramData: 'D:\\PD' })).toBe('D:\\PD\\CXR Lens\\data')
    expect(machineLogDir('win32', { ProgramData: 'C:\\ProgramData' })).toBe('C:\\ProgramData\\CXR Lens\\logs')
    expect(machineLogDir('linux', {})).toBe('/var/log/cxr-lens')
    expect(machineLogDir('darwin', {})).toBe('/Library/Logs/CXR Lens')
  })

  it('accepts the documented example (Windows paths) and shows what it set', () => {
    const loaded = loadPolicyFile(EXAMPLE, 'win32')
    expect(policyInfo(loaded)).toEqual({
      file: EXAMPLE,
      enforced: ['dataFolder', 'pseudonymKey', 'pacs', 'features.fineTuning', 'features.browserMode', 'logging.level'],
      dataFolder: 'machine',
      pseudonymKey: '\\\\fileserver\\radiology\\cxr-lens\\pseudonym.key',
      pacs: [
        { name: 'Archive DICOMweb', url: 'https://pacs.hospital.example/dicom-web' },
        { name: 'Main PACS', aeTitle: 'PACS01', host: 'pacs.hospital.example', port: 11112 },
      ],
      features: { fineTuning: false, browserMode: false },
      logLevel: 'info',
    })
    // the same file on Linux: a UNC path is not an absolute path there
    expect(() => loadPolicyFile(EXAMPLE, 'linux')).toThrow(/pseudonymKey: must be an absolute path/)
  })

  it('refuses a bad file whole, naming the file and the field', () => {
    const typo = policyFile({ features: { fineTunning: false } })
    expect(() => loadPolicyFile(typo)).toThrow(new RegExp(`Machine policy ${typo} is refused: features: .*fineTunning`))
    const wrongType = policyFile({ logging: { level: 'loud' } })
    expect(() => loadPolicyFile(wrongType)).toThrow(/is refused: logging\.level: /)
    const both = policyFile({ dataFolder: { scope: 'machine', path: '/srv/cxr' } })
    expect(() => loadPolicyFile(both)).toThrow(/dataFolder: give exactly one of "scope"/)
    const relative = policyFile({ dataFolder: { path: 'data' } })
    expect(() => loadPolicyFile(relative)).toThrow(/dataFolder\.path: must be an absolute path/)
    const pacs = policyFile({ pacs: [{ name: 'x', aeTitle: 'WAY_TOO_LONG_AE_TITLE', host: 'h', port: 70000 }] })
    expect(() => loadPolicyFile(pacs)).toThrow(/pacs\.0\.aeTitle: .*; pacs\.0\.port: /)
    const notJson = policyFile('{ "dataFolder": ')
    expect(() => loadPolicyFile(notJson)).toThrow(new RegExp(`Machine policy ${notJson} is not valid JSON`))
    expect(() => loadPolicy({ CXR_LENS_POLICY: join(dir.path, 'missing.json') })).toThrow(
      /missing\.json \(from CXR_LENS_POLICY\) does not exist/,
    )
    expect(() => loadPolicy({ CXR_LENS_POLICY: dir.path })).toThrow(/is not a regular file/)
    // no file at the machine location is no policy, not an error (no macOS policy folder on this machine)
    expect(loadPolicy({}, 'darwin')).toEqual({ file: null, settings: {} })
    const bom = policyFile('\ufeff{"features": {"browserMode": false}}') // Notepad writes a BOM
    expect(loadPolicy({ CXR_LENS_POLICY: bom })).toEqual({ file: bom, settings: { features: { browserMode: false } } })
  })

  it('fixes the data folder: --data-dir and CXR_LENS_DATA naming another are refused, saying so', () => {
    const fixed = loadPolicyFile(policyFile({ dataFolder: { path: join(dir.path, 'site-data') } }))
    const user = () => '/home/u/.config/CXR Lens'
    expect(policyDataDir(fixed, [], {}, user)).toBe(join(dir.path, 'site-data'))
    expect(() => policyDataDir(fixed, ['--data-dir', '/elsewhere'], {}, user)).toThrow(
      new RegExp(`--data-dir is not allowed here: the machine policy ${fixed.file} sets the data folder \\(dataFolder\\)`),
    )
    expect(() => policyDataDir(fixed, [], { CXR_LENS_DATA: '/elsewhere' }, user)).toThrow(/CXR_LENS_DATA is not allowed here/)
    expect(policyDataDir(fixed, [`--data-dir=${join(dir.path, 'site-data')}`], {}, user)).toBe(join(dir.path, 'site-data')) // the same folder is no override
    const perUser = loadPolicyFile(policyFile({ dataFolder: { scope: 'user' } }))
    expect(policyDataDir(perUser, [], {}, user)).toBe('/home/u/.config/CXR Lens')
    const perMachine = loadPolicyFile(policyFile({ dataFolder: { scope: 'machine' } }))
    expect(policyDataDir(perMachine, [], {}, user, 'linux')).toBe('/var/lib/cxr-lens')
    // resolveDataDir (every entry point) applies it
    const env = { CXR_LENS_POLICY: fixed.file!, CXR_LENS_DATA: '/elsewhere' }
    expect(() => resolveDataDir([], env)).toThrow(PolicyError)
    expect(resolveDataDir([], { CXR_LENS_POLICY: fixed.file! })).toBe(join(dir.path, 'site-data'))
  })

  it('the CLI refuses a bad policy and a user override with exit 1, naming the file and field', async () => {
    const bad = policyFile({ logging: { levle: 'debug' } })
    const refused = await cli(['cases', '--json'], { CXR_LENS_POLICY: bad })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(`Machine policy ${bad} is refused: logging: `)
    expect(refused.stderr).toContain('levle')

    const siteData = join(dir.path, 'cli-site')
    const fixed = policyFile({ dataFolder: { path: siteData }, features: { fineTuning: false } })
    const listed = await cli(['cases', '--json'], { CXR_LENS_POLICY: fixed })
    expect(listed.code, listed.stderr).toBe(0)
    expect(JSON.parse(listed.stdout)).toEqual({ total: 0, cases: [] })
    const override = await cli(['cases', '--data-dir', join(dir.path, 'mine')], { CXR_LENS_POLICY: fixed })
    expect(override.code).toBe(1)
    expect(override.stderr).toMatch(/--data-dir is not allowed here: the machine policy .* sets the data folder \(dataFolder\)/)
    const train = await cli(['train', '--model', 'x'], { CXR_LENS_POLICY: fixed })
    expect(train.code).toBe(1)
    expect(train.stderr).toMatch(/Fine-tuning is turned off by the machine policy .* \(features\.fineTuning\)/)

    const noWeb = policyFile({ features: { browserMode: false } })
    const web = await run(process.execPath, [WEB], {
      env: { ...process.env, CXR_LENS_POLICY: noWeb },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    )
    expect(web.code).toBe(1)
    expect(web.stderr).toContain(`Browser mode is turned off by the machine policy ${noWeb} (features.browserMode)`)
  })

  it('app:info shows the policy and the log file; a feature it turns off is refused by the server', async () => {
    const data = join(dir.path, 'app-data')
    process.env.CXR_LENS_POLICY = policyFile({
      dataFolder: { path: data },
      features: { fineTuning: false },
      pacs: [{ name: 'P', aeTitle: 'AE1', host: '10.0.0.5', port: 104 }],
    })
    const core = openServices(new DataFolder(resolveDataDir([])), { kind: 'web' })
    try {
      const dispatch = createDispatcher(createHandlers(core), () => undefined)
      const info = (await dispatch('app:info', {})) as { ok: true; data: AppInfo }
      expect(info.data.dataDir).toBe(data)
      expect(info.data.policy).toMatchObject({
        file: process.env.CXR_LENS_POLICY,
        enforced: ['dataFolder', 'pacs', 'features.fineTuning'],
        features: { fineTuning: false, browserMode: true },
      })
      expect(info.data.policy.pacs).toEqual([{ name: 'P', aeTitle: 'AE1', host: '10.0.0.5', port: 104 }])
      // As a clinical advisor (training:start needs one): the policy, not the role, refuses it.
      const advisor = await new ReaderAccounts(core.store).create(
        { name: 'Dr Policy', role: 'clinical_advisor', secret: 'policy-secret' },
        CLI_ACTOR,
      )
      const session = createSession()
      expect(await dispatch('readers:login', { readerId: advisor.id, secret: 'policy-secret' }, session)).toMatchObject({ ok: true })
      expect(await dispatch('training:start', {}, session)).toMatchObject({
        ok: false,
        error: { code: 'failed', message: expect.stringMatching(/Fine-tuning is turned off by the machine policy .*features\.fineTuning/) },
      })
    } finally {
      await core.close()
    }
  })
})

describe('site pseudonym key', () => {
  const identity = { patientId: 'MRN-0042', patientName: 'DOE^JANE', sopInstanceUid: '1.2.3', birthDate: null } as never
  it('gives a patient the same pseudonym in every data folder that uses it, and differs from per-installation keys', () => {
    const key = join(dir.path, 'site.key')
    writeFileSync(key, 'ab'.repeat(32) + '\n')
    const a = new Pseudonymizer(join(dir.path, 'ws-a'), key)
    const b = new Pseudonymizer(join(dir.path, 'ws-b'), key)
    expect(a.patient(identity, 'x')).toBe(b.patient(identity, 'x'))
    const own = new Pseudonymizer(join(dir.path, 'ws-c'), undefined)
    expect(own.patient(identity, 'x')).not.toBe(a.patient(identity, 'x'))
    for (const p of [a, b, own]) p.close()
  })

  it('is never created or replaced: missing or malformed stops the import, naming the file', () => {
    const missing = join(dir.path, 'share', 'pseudonym.key')
    expect(() => new Pseudonymizer(join(dir.path, 'ws-d'), missing)).toThrow(
      new RegExp(`site pseudonym key ${missing} \\(machine policy, pseudonymKey\\) cannot be read \\(ENOENT\\)`),
    )
    mkdirSync(join(dir.path, 'share'), { recursive: true })
    writeFileSync(missing, 'not hex')
    expect(() => new Pseudonymizer(join(dir.path, 'ws-d'), missing)).toThrow(/is not 64 hexadecimal characters/)
  })
})
