/**
 * PACS connections (issue 14): the machine policy's DICOMweb entries (validated by name and field,
 * read-only, secret in a file the policy names), connections added by an administrator (secret only
 * sealed, audit rows without it), and the pacs:* channels' access rules and boundary checks, with the
 * typed patient ID of a search kept out of the log.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDispatcher, type Dispatch } from '../../src/main/api/dispatch'
import { createHandlers } from '../../src/main/api/handlers'
import { createSession } from '../../src/main/api/session'
import { DataFolder } from '../../src/main/config/dataFolder'
import { loadPolicyFile, type LoadedPolicy } from '../../src/main/config/policy'
import { ForbiddenError, NotFoundError } from '../../src/main/errors/domainErrors'
import { PacsConnections, PacsSettingError } from '../../src/main/pacs/pacsConnections'
import { openServices, type Services } from '../../src/main/services/openServices'
import { CaseStore } from '../../src/main/store/caseStore'
import { tempDir } from './helpers'
import { freePort } from './orthanc'

const dir = tempDir('cxr-pacs-conn-')
afterAll(dir.cleanup)
const SECRET = 'Vault-Only-Secret-42'
const CLI = { name: 'cxr-lens CLI (administrator)', readerId: null }

function policy(pacs: unknown[]): string {
  const file = join(dir.path, `policy-${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(file, JSON.stringify({ pacs }))
  return file
}

describe('machine policy: DICOMweb PACS entries', () => {
  it('accepts DICOMweb entries beside DIMSE ones and refuses bad ones by field', () => {
    const ok = loadPolicyFile(
      policy([
        { name: 'Web', url: 'https://pacs.example/dicom-web', auth: 'basic', user: 'cxr', secretFile: '/etc/cxr-lens/pacs.secret' },
        { name: 'Open', url: 'http://10.0.0.5:8042/dicom-web' },
        { name: 'Old', aeTitle: 'PACS01', host: 'pacs', port: 104 },
      ]),
      'linux',
    )
    expect(ok.settings.pacs).toHaveLength(3)
    expect(() => loadPolicyFile(policy([{ name: 'W', url: 'https://u:p@pacs.example/dicom-web' }]), 'linux')).toThrow(
      /pacs\.0\.url: must not carry a user or password/,
    )
    expect(() => loadPolicyFile(policy([{ name: 'W', url: 'https://pacs.example/rs', auth: 'basic', user: 'u' }]), 'linux')).toThrow(
      /pacs\.0\.secretFile: is needed with auth "basic"/,
    )
    expect(() => loadPolicyFile(policy([{ name: 'W', url: 'ftp://pacs.example/rs' }]), 'linux')).toThrow(/pacs\.0\.url: must be an http/)
    expect(() => loadPolicyFile(policy([{ name: 'W', url: 'https://pacs.example/rs', password: 'x' }]), 'linux')).toThrow(
      /pacs\.0: .*password/,
    )
    // A DIMSE entry is still checked as one, naming its fields.
    expect(() => loadPolicyFile(policy([{ name: 'x', aeTitle: 'WAY_TOO_LONG_AE_TITLE', host: 'h', port: 70000 }]), 'linux')).toThrow(
      /pacs\.0\.aeTitle: .*; pacs\.0\.port: /,
    )
  })
})

describe('PacsConnections', () => {
  const dataDir = join(dir.path, 'data')
  let store: CaseStore
  let loaded: LoadedPolicy
  const secretFile = join(dir.path, 'policy-pacs.secret')
  beforeAll(() => {
    store = CaseStore.open(new DataFolder(dataDir).database)
    writeFileSync(secretFile, 'policy-file-secret\n')
    loaded = loadPolicyFile(policy([{ name: 'Site PACS', url: 'https://pacs.example/dicom-web', auth: 'bearer', secretFile }]), 'linux')
  })
  afterAll(() => store.close())

  it('adds connections with the secret sealed (never in the database or the audit) and lists policy ones first, marked', () => {
    const pacs = new PacsConnections(store, dataDir, loaded)
    const added = pacs.add({ name: 'Orthanc', url: ' http://127.0.0.1:8042/dicom-web ', auth: 'basic', user: 'cxr', secret: SECRET }, CLI)
    expect(added).toEqual({
      name: 'Orthanc',
      url: 'http://127.0.0.1:8042/dicom-web',
      auth: 'basic',
      user: 'cxr',
      hasSecret: true,
      source: 'user',
      createdAt: expect.any(String),
    })
    pacs.add({ name: 'Open', url: 'http://127.0.0.1:8043/dicom-web', auth: 'none' }, CLI)
    expect(pacs.list().map((c) => [c.name, c.source])).toEqual([
      ['Site PACS', 'policy'],
      ['Open', 'user'],
      ['Orthanc', 'user'],
    ])
    expect(pacs.endpoint('orthanc').auth).toEqual({ kind: 'basic', user: 'cxr', password: SECRET })
    expect(pacs.endpoint('Site PACS').auth).toEqual({ kind: 'bearer', token: 'policy-file-secret' })
    expect(
      store.audit
        .entries(null)
        .filter((e) => e.action === 'pacs.add')
        .map((e) => e.detail),
    ).toEqual([
      { name: 'Orthanc', url: 'http://127.0.0.1:8042/dicom-web', auth: 'basic', user: 'cxr' },
      { name: 'Open', url: 'http://127.0.0.1:8043/dicom-web', auth: 'none', user: null },
    ])
    store.db.pragma('wal_checkpoint(TRUNCATE)')
    for (const file of readdirSync(dataDir)) {
      const path = join(dataDir, file)
      if (file.startsWith('cxr-lens.sqlite')) expect(readFileSync(path).includes(Buffer.from(SECRET)), file).toBe(false)
    }
  })

  it('refuses bad settings by field, a second connection of the same name, and changes to policy connections', () => {
    const pacs = new PacsConnections(store, dataDir, loaded)
    const add = (input: object) => () => pacs.add({ name: 'N', url: 'http://h/rs', auth: 'none', ...input }, CLI)
    expect(add({ url: 'http://u:p@h/rs' })).toThrow(/--url must not carry a user or password/)
    expect(add({ auth: 'basic', secret: 's' })).toThrow(/--user is needed with --auth basic/)
    expect(add({ auth: 'basic', user: 'a:b', secret: 's' })).toThrow(/--user must be/)
    expect(add({ auth: 'bearer' })).toThrow(/the token is needed on standard input/)
    expect(add({ secret: 's' })).toThrow(/a secret was given but --auth is none/)
    expect(add({ name: '../x' })).toThrow(PacsSettingError)
    expect(add({ name: 'ORTHANC' })).toThrow(/A PACS named "ORTHANC" is configured already/)
    expect(add({ name: 'site pacs' })).toThrow(ForbiddenError)
    expect(() => pacs.remove('Site PACS', CLI)).toThrow(/set by the machine policy .* cannot be removed here/)
    expect(() => pacs.remove('Nope', CLI)).toThrow(NotFoundError)
    pacs.remove('Open', CLI)
    expect(store.audit.entries(null).at(-1)).toMatchObject({ action: 'pacs.remove', detail: { name: 'Open' } })
    expect(() => pacs.endpoint('Open')).toThrow(NotFoundError)
  })

  it('says which step of a test failed: a PACS that is down is not reachable', async () => {
    const pacs = new PacsConnections(store, dataDir, loaded)
    pacs.add({ name: 'Down', url: `http://127.0.0.1:${await freePort()}/dicom-web`, auth: 'none' }, CLI)
    const result = await pacs.test('Down')
    expect(result).toMatchObject({
      ok: false,
      code: 'unreachable',
      steps: [{ step: 'reachable', ok: false }, { ok: false }, { ok: false }],
    })
    expect(result.message).toMatch(/^PACS Down: QIDO-RS GET \/studies: connection refused/)
  })
})

describe('pacs:* channels', () => {
  let core: Services
  let dispatch: Dispatch
  const logged: string[] = []
  const session = createSession()
  beforeAll(async () => {
    core = openServices(new DataFolder(join(dir.path, 'api')), { kind: 'web' })
    dispatch = createDispatcher(createHandlers(core), (m) => logged.push(m))
    new PacsConnections(core.store, core.dataDir).add(
      { name: 'Down', url: `http://127.0.0.1:${await freePort()}/dicom-web`, auth: 'basic', user: 'u', secret: SECRET },
      CLI,
    )
  })
  afterAll(() => core.close())

  it('lists without secrets for anyone; adding and removing need an administrator', async () => {
    const list = await dispatch('pacs:list', {}, session)
    expect(list).toMatchObject({ ok: true, data: [{ name: 'Down', hasSecret: true }] })
    expect(JSON.stringify(list)).not.toContain(SECRET)
    expect(await dispatch('pacs:add', { name: 'X', url: 'http://h/rs', auth: 'none' }, session)).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    })
    expect(await dispatch('pacs:remove', { name: 'Down' }, session)).toMatchObject({ ok: false, error: { code: 'forbidden' } })
  })

  it('checks a search at the boundary, and keeps the typed patient ID out of the answer text and the log', async () => {
    const bad = await dispatch('pacs:query', { name: 'Down', query: { since: '20241301', patientId: 'A\\B' } }, session)
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
    const patientId = 'PHIQZ-TYPED-4711'
    const down = await dispatch('pacs:query', { name: 'Down', query: { patientId } }, session)
    expect(down).toMatchObject({
      ok: false,
      error: { code: 'failed', message: expect.stringMatching(/^PACS Down: QIDO-RS GET \/studies: connection refused/) },
    })
    expect(JSON.stringify(down)).not.toContain(patientId)
    expect(logged.join('\n')).not.toContain(patientId)
    expect(await dispatch('pacs:pull', { pacs: 'Nope', studies: ['1.2.3'] }, session)).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    })
    expect(await dispatch('pacs:pull', { pacs: 'Down', studies: ['1.2.3'], since: '20240101' }, session)).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    })
  })
})
