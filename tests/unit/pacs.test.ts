/**
 * PACS query and retrieve against a real Orthanc with its DICOMweb plugin (tests/unit/orthanc.ts):
 * test studies carrying PHI are stored in it; the CLI adds the connection (secret on stdin), tests it,
 * searches (date range, modality, accession, patient ID) and pulls into a data folder that then holds
 * no PHI, no password and no searched patient ID in its database, WAL, images, logs or backups. The
 * same file via a DICOM folder and via the PACS gives one patient pseudonym; a re-pull adds nothing;
 * a wrong password, an unknown study and a PACS that is down give named errors.
 */
import { spawn } from 'node:child_process'
import { createServer, type AddressInfo } from 'node:net'
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importDicom } from '../../src/main/dicom/dicomImporter'
import { DicomwebClient, type PacsEndpoint } from '../../src/main/pacs/dicomwebClient'
import { PacsConnections } from '../../src/main/pacs/pacsConnections'
import { PacsNotFoundError, PacsUnauthorizedError, PacsUnreachableError } from '../../src/main/pacs/pacsErrors'
import { pullStudies } from '../../src/main/pacs/pacsPull'
import { CaseStore } from '../../src/main/store/caseStore'
import { HAS_NIH, tempDir } from './helpers'
import { freePort, HAS_ORTHANC, startOrthanc, type RunningOrthanc } from './orthanc'
import { buildTestInstances, PATIENTS, STUDIES, testMarkers, type TestInstance } from './pacsStudies'
import { findMarkers, type Marker } from './phiMarkers'
import { CLI } from './builtCli'

const dir = tempDir('cxr-pacs-')
let pacs: RunningOrthanc
let instances: TestInstance[]
let endpoint: PacsEndpoint

function cli(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: resolve(__dirname, '../..'),
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', fail)
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }))
    child.stdin.end(stdin)
  })
}

function* filesUnder(root: string): Generator<string> {
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name)
    if (entry.isDirectory()) yield* filesUnder(path)
    else if (lstatSync(path).isFile()) yield path
  }
}

const usable = HAS_ORTHANC && HAS_NIH
const suite = usable ? describe : describe.skip
if (!usable)
  console.warn('pacs.test.ts skipped: needs /usr/sbin/Orthanc with orthanc-dicomweb (.ci/run installs them) and ../shared/data/nih')

/** A loopback port with a listening socket on it: taken, as freePort()'s port can be by another process before Orthanc binds it. */
async function takenPort(): Promise<{ port: number; release: () => void }> {
  const server = createServer()
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening))
  return { port: (server.address() as AddressInfo).port, release: () => server.close() }
}

beforeAll(async () => {
  if (!usable) return
  // The first port offered is taken: the start must go on with another (else the whole file fails).
  const taken = await takenPort()
  let offers = 0
  const pickPort = async () => (offers++ === 0 ? taken.port : freePort())
  try {
    ;[pacs, instances] = await Promise.all([startOrthanc({ pickPort }), buildTestInstances()])
  } finally {
    taken.release()
  }
  for (const instance of instances) await pacs.upload(instance.bytes)
  endpoint = { name: 'orthanc', url: pacs.dicomWebUrl, auth: { kind: 'basic', user: pacs.user, password: pacs.password } }
}, 60_000)

afterAll(async () => {
  await pacs?.stop()
  dir.cleanup()
})

suite('the test PACS itself', () => {
  it('starts on another port when the one it picked is taken before Orthanc binds it', () => {
    expect(pacs.portTries).toBe(2)
  })
})

suite('DICOMweb client against Orthanc', () => {
  const uids = (matches: Array<{ studyInstanceUid: string }>) => matches.map((m) => m.studyInstanceUid).sort()

  it('searches studies by date range, modality, accession and patient ID, with what the list shows', async () => {
    const client = new DicomwebClient(endpoint)
    expect(uids(await client.searchStudies({}))).toEqual(STUDIES.map((s) => s.uid).sort())
    expect(uids(await client.searchStudies({ since: '20240101', until: '20241231' }))).toEqual([STUDIES[0].uid, STUDIES[1].uid])
    expect(uids(await client.searchStudies({ since: '20240201' }))).toEqual([STUDIES[1].uid])
    expect(uids(await client.searchStudies({ modality: 'CR' }))).toEqual([STUDIES[0].uid])
    expect(uids(await client.searchStudies({ modality: 'DX' }))).toEqual([STUDIES[1].uid, STUDIES[2].uid])
    expect(uids(await client.searchStudies({ accession: STUDIES[2].accession }))).toEqual([STUDIES[2].uid])
    expect(uids(await client.searchStudies({ patientId: PATIENTS[0].id }))).toEqual([STUDIES[0].uid, STUDIES[1].uid])
    expect(await client.searchStudies({ patientId: 'NOBODY-HERE' })).toEqual([])
    const [first] = await client.searchStudies({ accession: STUDIES[0].accession })
    expect(first).toEqual({
      studyInstanceUid: STUDIES[0].uid,
      date: '20240110',
      modalities: ['CR'],
      instances: 2,
      accession: STUDIES[0].accession,
      description: 'PHIQZDESC0 CHEST',
    })
  })

  it('reads metadata and instances (QIDO/WADO JSON), retrieves one instance byte for byte, and stores by STOW-RS', async () => {
    const client = new DicomwebClient(endpoint)
    const metadata = await client.studyMetadata(STUDIES[0].uid)
    expect(metadata).toHaveLength(2)
    expect((metadata[0]['00100020'] as { Value: string[] }).Value[0]).toBe(PATIENTS[0].id)
    expect(await client.searchInstances(STUDIES[0].uid)).toHaveLength(2)
    const bytes = await client.retrieveInstance(STUDIES[2].uid, STUDIES[2].seriesUid, instances[3].sopInstanceUid)
    expect(Buffer.from(bytes).equals(Buffer.from(instances[3].bytes))).toBe(true)
    // STOW-RS: the same instance again is stored (Orthanc keeps one copy); a wrong study is refused per instance.
    const stored = await client.store(STUDIES[2].uid, [instances[3].bytes])
    expect(stored).toMatchObject({ stored: [instances[3].sopInstanceUid], failed: [] })
    const elsewhere = await client.store(STUDIES[1].uid, [instances[3].bytes])
    expect(elsewhere.stored).toEqual([])
    expect(elsewhere.failed.map((f) => f.sopInstanceUid)).toEqual([instances[3].sopInstanceUid])
  })

  it('names the errors: wrong password (401), unknown study (404), PACS down', async () => {
    const wrong = new DicomwebClient({ ...endpoint, auth: { kind: 'basic', user: pacs.user, password: 'not-the-password' } })
    const refused = await wrong.searchStudies({ patientId: PATIENTS[0].id }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(PacsUnauthorizedError)
    expect(refused).toMatchObject({ code: 'unauthorized', pacs: 'orthanc', status: 401 })
    expect((refused as Error).message).toMatch(/^PACS orthanc: QIDO-RS GET \/studies: refused the credentials \(401/)
    expect((refused as Error).message).not.toContain(PATIENTS[0].id) // the query string is never in a message

    const client = new DicomwebClient(endpoint)
    const missing = await client.retrieveStudy('1.2.3.4.5', async () => undefined).catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(PacsNotFoundError)
    expect((missing as Error).message).toMatch(/PACS orthanc: WADO-RS GET \/studies\/1\.2\.3\.4\.5: not found \(404/)

    // A port nothing listens on (taken from the kernel, then released).
    const down = new DicomwebClient({ ...endpoint, url: `http://127.0.0.1:${await freePort()}/dicom-web` })
    const unreachable = await down.searchStudies({}).catch((e: unknown) => e)
    expect(unreachable).toBeInstanceOf(PacsUnreachableError)
    expect((unreachable as Error).message).toMatch(/PACS orthanc: QIDO-RS GET \/studies: connection refused/)
  })
})

suite('pull into cases', () => {
  it('the same file via a DICOM folder and via the PACS is one patient pseudonym; a re-pull is all duplicates; the background sweep sees the new cases', async () => {
    const dataDir = join(dir.path, 'pseudonyms')
    const folder = join(dir.path, 'folder')
    mkdirSync(folder, { recursive: true })
    writeFileSync(join(folder, 'one.dcm'), instances[0].bytes)
    const store = CaseStore.open(join(dataDir, 'cxr-lens.sqlite'))
    try {
      expect(await importDicom(store, { dicomDir: folder, dataDir })).toMatchObject({ imported: 1, failed: [] })
      const client = new DicomwebClient(endpoint)
      const first = await pullStudies(store, dataDir, client, { studies: [STUDIES[0].uid, STUDIES[1].uid] })
      // instances[0] came by folder already (byte for byte the same): a duplicate, not a second case.
      expect(first).toMatchObject({ pacs: 'orthanc', studies: 2, scanned: 3, imported: 2, duplicates: 1, failed: [] })
      // Each case, by folder or by PACS, keeps the default model's input, so background analysis reads it and decodes nothing.
      expect(readdirSync(join(dataDir, 'cache', 'model-input')).filter((f) => f.endsWith('.bin'))).toHaveLength(3)
      const again = await pullStudies(store, dataDir, client, { studies: [STUDIES[0].uid, STUDIES[1].uid] })
      expect(again).toMatchObject({ imported: 0, duplicates: 3, failed: [] })
      const db = new Database(store.path, { readonly: true })
      const patients = db.prepare('SELECT DISTINCT p.pseudo_id AS p FROM cases c JOIN patients p ON p.id = c.patient_id').all()
      db.close()
      expect(patients).toHaveLength(1) // folder and PACS, CR and DX, both studies: one patient
      const target = { modelId: 'cxr-mobilenet', modelVersion: '1', method: 'gradcam' }
      expect(store.queue.hasMissing(target)).toBe(true)
      expect(store.queue.sweep(target)).toBe(3)
      expect(
        store.audit
          .entries(null)
          .filter((e) => e.action === 'cases.import.pacs')
          .map((e) => e.detail),
      ).toEqual([
        { pacs: 'orthanc', studies: 2, imported: 2, duplicates: 1, failed: 0, warnings: 0 },
        { pacs: 'orthanc', studies: 2, imported: 0, duplicates: 3, failed: 0, warnings: 0 },
      ])
    } finally {
      store.close()
    }
  })

  it('an unknown study among known ones is one failed entry naming it (404); alone, it is the named error', async () => {
    const dataDir = join(dir.path, 'unknown')
    const store = CaseStore.open(join(dataDir, 'cxr-lens.sqlite'))
    try {
      const client = new DicomwebClient(endpoint)
      const mixed = await pullStudies(store, dataDir, client, { studies: [STUDIES[2].uid, '1.2.3.999'] })
      expect(mixed).toMatchObject({ imported: 1, failed: [{ name: 'study 1.2.3.999' }] })
      expect(mixed.failed[0].reason).toMatch(/PACS orthanc: .*no such study \(404 Not Found\)/)
      await expect(pullStudies(store, dataDir, client, { studies: ['1.2.3.999'] })).rejects.toBeInstanceOf(PacsNotFoundError)
      const wrong = new DicomwebClient({ ...endpoint, auth: { kind: 'basic', user: pacs.user, password: 'nope' } })
      await expect(pullStudies(store, dataDir, wrong, { since: '20000101' })).rejects.toBeInstanceOf(PacsUnauthorizedError)
    } finally {
      store.close()
    }
  })
})

suite('the CLI: pacs add, list, test, query, pull; no PHI, password or searched patient ID at rest', () => {
  it('keeps the data folder free of every identifier, the password and the typed patient ID', async () => {
    const dataDir = join(dir.path, 'cli-data')
    const d = ['--data-dir', dataDir]
    const added = await cli(
      ['pacs', 'add', '--name', 'Main PACS', '--url', pacs.dicomWebUrl, '--auth', 'basic', '--user', pacs.user, ...d],
      `${pacs.password}\n`,
    )
    expect(added.stderr).toBe('')
    expect(added.code).toBe(0)
    const [list, tested, query, pull] = await Promise.all([
      cli(['pacs', 'list', '--json', ...d]),
      cli(['pacs', 'test', 'Main PACS', '--json', ...d]),
      cli(['pacs', 'query', 'Main PACS', '--patient-id', PATIENTS[1].id, '--json', ...d]),
      cli(['pacs', 'pull', 'Main PACS', '--since', '20200101', '--json', ...d]),
    ])
    expect(JSON.parse(list.stdout)).toEqual({
      connections: [
        {
          name: 'Main PACS',
          url: pacs.dicomWebUrl,
          auth: 'basic',
          user: pacs.user,
          hasSecret: true,
          source: 'user',
          createdAt: expect.any(String),
        },
      ],
    })
    expect(list.stdout).not.toContain(pacs.password)
    expect(tested.code).toBe(0)
    expect(JSON.parse(tested.stdout)).toMatchObject({ ok: true, steps: [{ ok: true }, { ok: true }, { ok: true }] })
    expect(query.code).toBe(0)
    expect(JSON.parse(query.stdout).studies.map((s: { studyInstanceUid: string }) => s.studyInstanceUid)).toEqual([STUDIES[2].uid])
    expect(pull.stderr).toBe('')
    expect(pull.code).toBe(0)
    expect(JSON.parse(pull.stdout)).toMatchObject({ imported: instances.length, duplicates: 0, failed: [], pacs: 'Main PACS', studies: 3 })

    const missing = await cli(['pacs', 'pull', 'Main PACS', '--study', '1.2.3.999', ...d])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/PACS Main PACS: .*no such study \(404 Not Found\)/)

    // A backup as support would take one: it must be as clean as the live database.
    const store = CaseStore.open(join(dataDir, 'cxr-lens.sqlite'))
    store.backupTo(join(dataDir, 'backups', 'manual-pacs-test.sqlite'))
    store.close()

    const markers: Marker[] = [
      ...testMarkers(),
      { where: 'PACS password', value: pacs.password },
      { where: 'searched patient ID', value: PATIENTS[1].id },
    ]
    const files = [...filesUnder(dataDir)]
    const hits = files.flatMap((file) => findMarkers(file, readFileSync(file), markers))
    expect(hits.map((h) => `${h.where} = ${h.value} in ${h.file}`)).toEqual([])
    // The search covered what it claims: the database, derived images, the log and the backup.
    const rel = files.map((f) => f.slice(dataDir.length))
    expect(rel).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/cxr-lens\.sqlite$/),
        expect.stringMatching(/\/logs\/cxr-lens\.log$/),
        expect.stringMatching(/backups\/manual-pacs-test\.sqlite$/),
      ]),
    )
    expect(rel.filter((f) => f.endsWith('.png')).length).toBeGreaterThanOrEqual(instances.length)
    // The sealed secret opens again with the vault (so a pull can authenticate), and only with its context.
    const check = CaseStore.open(join(dataDir, 'cxr-lens.sqlite'))
    try {
      expect(new PacsConnections(check, dataDir).endpoint('Main PACS').auth).toEqual({
        kind: 'basic',
        user: pacs.user,
        password: pacs.password,
      })
    } finally {
      check.close()
    }
  }, 180_000)
})
