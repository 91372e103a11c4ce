/**
 * No PHI at rest in plaintext anywhere in the data folder (issue 11, item 10). DICOM files carry a
 * distinct marker in every attribute of the PS3.15 Basic Application Level Confidentiality Profile a
 * CR/DX can hold (tests/unit/phiMarkers.ts has the list), in private tags, nested sequences, coded
 * attributes and the folder and file names. They are imported through the real CLI, boxed, backed up,
 * explained and exported every way there is, with re-identification off and on; then every file of the
 * data folder (database, -wal/-shm, images, caches, models, backups, settings, the sealed file) and of
 * every export is searched for every marker (ASCII case-insensitive, UTF-8 and UTF-16LE).
 */
import { spawn } from 'node:child_process'
import { lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { reidentificationStatus } from '../../src/main/reid/reidentification'
import { CaseStore } from '../../src/main/store/caseStore'
import { writeDicom } from './dicomWriter'
import { HAS_NIH, NIH_256, tempDir } from './helpers'
import { findMarkers, plantedFile, type Hit, type Marker, type PlantedFile } from './phiMarkers'
import { CLI } from './builtCli'

const TINY_MODEL = resolve(__dirname, '../fixtures/engine/tiny-resnet')
const dir = tempDir('cxr-phi-')
afterAll(dir.cleanup)

/** The CLI as a real process (the built bundle under node), stdin given or closed. */
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

async function ok(args: string[]): Promise<string> {
  const result = await cli(args)
  if (result.code !== 0) throw new Error(`cxr-lens ${args.join(' ')} exited ${result.code}: ${result.stderr || result.stdout}`)
  return result.stdout
}

function* filesUnder(root: string): Generator<string> {
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name)
    if (entry.isDirectory()) yield* filesUnder(path)
    else yield path
  }
}

/** Every marker found in every file under the roots, the path itself included (a file name can leak too). */
function scan(roots: string[], markers: Marker[]): { hits: Hit[]; files: string[] } {
  const hits: Hit[] = []
  const files: string[] = []
  for (const root of roots) {
    for (const file of filesUnder(root)) {
      if (!lstatSync(file).isFile()) continue
      files.push(file)
      hits.push(
        ...findMarkers(file, readFileSync(file), markers),
        ...findMarkers(`${file} (its path)`, Buffer.from(file.slice(root.length)), markers),
      )
    }
  }
  return { hits, files }
}

const describeHits = (hits: Hit[]) => hits.map((h) => `${h.where} = ${h.value} (${h.encoding}) in ${h.file}`)

describe('the marker search', () => {
  // An SR export's UIDs are hashes of a pseudonym that is random per data folder: about one run in
  // 2,300 one of them spelled a date marker (scripts/chanceMatchOdds.ts) and this file failed.
  it('finds a date marker anywhere but inside a hash-derived UID (2.25.<digits>), whose digits hold no plaintext', () => {
    const [date] = plantedFile(0).markers.filter((m) => /^\d{8}$/.test(m.value))
    const inUid = Buffer.from(`(0020,000d) UI [2.25.3141${date.value}5926]\n`)
    expect(findMarkers('sr', inUid, [date])).toEqual([])
    for (const leak of [`(0008,0020) DA [${date.value}]`, `2.25.1 ${date.value}`, `1.2.3.${date.value}`])
      expect(findMarkers('leak', Buffer.from(leak), [date]), leak).toEqual([
        { file: 'leak', where: date.where, value: date.value, encoding: 'utf8' },
      ])
    // A marker with letters is found inside such a UID's line too: only digits can be a hash's by chance.
    const name = plantedFile(0).markers.find((m) => m.where === 'PatientID')!
    expect(findMarkers('sr', Buffer.from(`2.25.12${name.value}`), [name])).toHaveLength(1)
  })
})

const FILES = [0, 1, 2]
let planted: PlantedFile[]
let markers: Marker[]
const dicomRoot = join(dir.path, 'pacs-export')

beforeAll(async () => {
  if (!HAS_NIH) return
  const names = readdirSync(NIH_256).sort().slice(0, FILES.length)
  planted = FILES.map(plantedFile)
  markers = planted.flatMap((p) => p.markers)
  for (const f of FILES) {
    const pixels = new Uint8Array(await sharp(join(NIH_256, names[f])).greyscale().raw().toBuffer())
    // Folder and file named after the patient, as PACS exports often are.
    const folder = join(dicomRoot, `${planted[f].patientId}_${planted[f].patientName.split('^')[0]}`)
    mkdirSync(folder, { recursive: true })
    const bytes = writeDicom({
      rows: 256,
      columns: 256,
      photometric: 'MONOCHROME2',
      bitsAllocated: 8,
      bitsStored: 8,
      pixels,
      sopInstanceUid: planted[f].sopInstanceUid,
      burnedIn: f === 0,
      extra: planted[f].extra,
    })
    writeFileSync(join(folder, `${planted[f].markers[0].value}.dcm`), bytes)
    // Every planted value is really in its source file (else the search could not fail).
    const inSource = new Set(
      findMarkers('source', Buffer.from(bytes), planted[f].markers)
        .filter((h) => h.encoding === 'utf8')
        .map((h) => h.value),
    )
    expect(inSource.size).toBe(planted[f].markers.length)
  }
})

/**
 * The whole workflow on one data folder: import, boxes (the WAL is searched while the writer is still
 * open), model, explain, every export, backups; returns what was found where.
 */
async function workflow(
  name: string,
  backupArgs: string[] = [],
): Promise<{ dataDir: string; exportsDir: string; walHits: Hit[]; walSeen: boolean }> {
  const dataDir = join(dir.path, name, 'data')
  const exportsDir = join(dir.path, name, 'exports')
  mkdirSync(exportsDir, { recursive: true })
  const d = ['--data-dir', dataDir]
  const imported = JSON.parse(await ok(['import', '--dicom', dicomRoot, '--json', ...d]))
  expect(imported).toMatchObject({ imported: FILES.length, failed: [] })

  const store = CaseStore.open(join(dataDir, 'cxr-lens.sqlite'))
  let walHits: Hit[] = []
  let walSeen = false
  try {
    const reader = store.readers.create('Dr Reader', 'radiologist')
    for (const row of store.worklist.query({}).rows) {
      store.transaction(() => {
        store.annotations.addBox({
          caseId: row.id,
          finding: 'Effusion',
          x: 40,
          y: 50,
          w: 60,
          h: 70,
          source: 'reader',
          author: reader.name,
          readerId: reader.id,
          at: new Date().toISOString(),
        })
        store.annotations.addLabel(row.id, 'Effusion', 'reader', reader.name, new Date().toISOString())
      })
    }
    const wal = join(dataDir, 'cxr-lens.sqlite-wal')
    walSeen = statSync(wal, { throwIfNoEntry: false })?.size !== undefined
    walHits = scan([dataDir], markers).hits
  } finally {
    store.close()
  }

  await ok(['models', 'import', TINY_MODEL, ...d])
  await ok([
    'explain',
    '--model',
    'tiny-resnet',
    '--method',
    'gradcam',
    '--finding',
    'Effusion',
    '--all',
    '--out',
    join(exportsDir, 'explain'),
    ...d,
  ])
  await ok(['export', 'boxes', '--format', 'nih', '--out', join(exportsDir, 'boxes-nih.csv'), ...d])
  await ok(['export', 'boxes', '--format', 'coco', '--out', join(exportsDir, 'boxes-coco.json'), ...d])
  await ok(['export', 'boxes', '--format', 'sr', '--out', join(exportsDir, 'sr'), ...d])
  await ok(['export', 'labels', '--format', 'nih', '--out', join(exportsDir, 'labels.csv'), ...d])
  await ok(['export', 'report', '--model', 'tiny-resnet', '--out', join(exportsDir, 'report.html'), ...d])
  writeFileSync(join(exportsDir, 'cases.json'), await ok(['cases', '--json', ...d]))
  await ok(['backup', ...d])
  await ok(['backup', '--out', join(exportsDir, 'backup.sqlite'), ...backupArgs, ...d])
  const check = await cli(['check', ...d])
  expect(check.code).toBe(0)
  expect(check.stderr).not.toMatch(/WARNING/)
  return { dataDir, exportsDir, walHits, walSeen }
}

const identifying = () => markers.filter((m) => !m.coded)
const isCoded = (hit: Hit) => markers.some((m) => m.coded && m.value === hit.value)

describe.runIf(HAS_NIH)('no PHI at rest: re-identification off (the default)', () => {
  let run: Awaited<ReturnType<typeof workflow>>
  let found: ReturnType<typeof scan>

  it('imports, boxes, explains, exports and backs up without a marker in any file', async () => {
    run = await workflow('off')
    found = scan([run.dataDir, run.exportsDir], markers)
    // The search covered what it claims to: the live WAL, derived images, backups and every export kind.
    expect(run.walSeen).toBe(true)
    const names = found.files.map((f) => f.slice(dir.path.length))
    for (const pattern of [
      /images\/[0-9a-f]{64}\.png$/,
      /backups\/manual-.*\.sqlite$/,
      /pseudonym\.key$/,
      /vault\.key$/,
      /boxes-nih\.csv$/,
      /boxes-coco\.json$/,
      /sr\/.*\.sr\.dcm$/,
      /labels\.csv$/,
      /report\.html$/,
      /explain\/.*\.png$/,
      /explain\/.*\.json$/,
      /explain\/.*\.npy$/,
      /backup\.sqlite$/,
      /cases\.json$/,
    ]) {
      expect(
        names.some((n) => pattern.test(n)),
        String(pattern),
      ).toBe(true)
    }
    expect(describeHits([...run.walHits, ...found.hits].filter((h) => !isCoded(h)))).toEqual([])
    // The original Study/Series/SOP Instance UIDs are in the database, sealed (for sending results back
    // to the PACS): the search above ran over them and found none of the planted UIDs in plaintext.
    const db = new Database(join(run.dataDir, 'cxr-lens.sqlite'), { readonly: true })
    try {
      const sealed = db.prepare('SELECT sealed_uids FROM case_sources').pluck().all() as string[]
      expect(sealed).toHaveLength(FILES.length)
      for (const value of sealed) expect(value).toMatch(/^v1:/)
    } finally {
      db.close()
    }
  }, 300_000)

  it('writes no re-identification data at all', () => {
    expect(readdirSync(run.dataDir).filter((n) => /reidentification/.test(n))).toEqual([])
  })

  // Needs item 9's code-set mapping (sex M/F/O, ViewPosition defined terms; anything else unknown).
  it('stores no free text from coded attributes (PatientSex, ViewPosition)', () => {
    expect(describeHits([...run.walHits, ...found.hits].filter(isCoded))).toEqual([])
  })
})

describe.runIf(HAS_NIH)("no PHI at rest: re-identification on (sealed to the officer's key)", () => {
  const officer = join(dir.path, 'dpo-machine')
  let run: Awaited<ReturnType<typeof workflow>>

  it('keeps every marker out of the data folder and exports, the sealed file included', async () => {
    const keygen = JSON.parse(await ok(['reid', 'keygen', '--out', officer, '--json']))
    expect((statSync(keygen.privateKey).mode & 0o777).toString(8)).toBe('600')
    const dataDir = join(dir.path, 'on', 'data')
    const enabled = JSON.parse(await ok(['reid', 'enable', '--public-key', keygen.publicKey, '--json', '--data-dir', dataDir]))
    expect(enabled).toMatchObject({ keyId: keygen.keyId, legacySealed: 0 })
    run = await workflow('on', ['--with-reidentification'])
    const found = scan([run.dataDir, run.exportsDir], identifying())
    expect(found.files.some((f) => f.endsWith('reidentification.sealed'))).toBe(true)
    expect(found.files.some((f) => f.endsWith('backup.sqlite.reidentification.sealed'))).toBe(true)
    // The default backup in backups/ does not carry the sealed file.
    expect(readdirSync(join(run.dataDir, 'backups')).filter((n) => /reidentification/.test(n))).toEqual([])
    expect(describeHits([...run.walHits, ...found.hits].filter((h) => !isCoded(h)))).toEqual([])
  }, 300_000)

  const names: Array<[string, string]> = []

  it("gives back every instance's identifiers with the private key", async () => {
    const privateKey = join(officer, 'reid-private.pem')
    for (const sealed of [join(run.dataDir, 'reidentification.sealed'), join(run.exportsDir, 'backup.sqlite.reidentification.sealed')]) {
      const opened = JSON.parse(await ok(['reid', 'open', '--key', privateKey, sealed, '--json']))
      expect(opened.failed).toEqual([])
      const cases = JSON.parse(readFileSync(join(run.exportsDir, 'cases.json'), 'utf8')).cases as Array<{ image: string }>
      for (const p of planted) {
        const record = opened.records.find((r: { original: { sopInstanceUid: string } }) => r.original.sopInstanceUid === p.sopInstanceUid)
        const [family, given] = p.patientName.split('^')
        expect(record, p.sopInstanceUid).toMatchObject({
          source: 'import',
          patient: expect.stringMatching(/^anon-[0-9a-f]{16}$/),
          image: expect.stringMatching(/^img-[0-9a-f]{16}\.dcm$/),
          original: {
            patientName: expect.stringMatching(new RegExp(`^${family}\\^${given}\\^`)),
            patientId: p.patientId,
            birthDate: p.birthDate,
            studyInstanceUid: p.studyInstanceUid,
          },
        })
        names.push([record.original.patientName, p.patientName])
        expect(cases.map((c) => c.image)).toContain(record.image) // the officer can find the case the workstation shows
      }
    }
  })

  // dicom-parser reads strings as Latin-1; the decoder must honour SpecificCharacterSet (ISO_IR 192 here).
  it('keeps a non-ASCII name as written (UTF-8, SpecificCharacterSet ISO_IR 192)', () => {
    expect(names.length).toBe(2 * planted.length)
    for (const [recorded, written] of names) expect(recorded).toBe(written)
  })

  it('refuses to open the sealed file with another key, naming both keys', async () => {
    const other = join(dir.path, 'other-key')
    await ok(['reid', 'keygen', '--out', other])
    const result = await cli(['reid', 'open', '--key', join(other, 'reid-private.pem'), join(run.dataDir, 'reidentification.sealed')])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/line 1: sealed to key [0-9a-f]{16}, not to this key \([0-9a-f]{16}\)/)
    expect(result.stdout.trim().split('\n')).toHaveLength(1) // the header only
  })

  it('writes nothing more once disabled', async () => {
    const sealed = join(run.dataDir, 'reidentification.sealed')
    const before = statSync(sealed).size
    expect(JSON.parse(await ok(['reid', 'disable', '--json', '--data-dir', run.dataDir]))).toEqual({ disabled: true })
    const more = join(dir.path, 'more-dicom')
    mkdirSync(more, { recursive: true })
    const p = plantedFile(7)
    writeFileSync(
      join(more, 'x.dcm'),
      writeDicom({
        rows: 4,
        columns: 4,
        photometric: 'MONOCHROME2',
        bitsAllocated: 8,
        bitsStored: 8,
        pixels: Array.from({ length: 16 }, (_, i) => i * 9),
        sopInstanceUid: p.sopInstanceUid,
        extra: p.extra,
      }),
    )
    expect(JSON.parse(await ok(['import', '--dicom', more, '--json', '--data-dir', run.dataDir]))).toMatchObject({ imported: 1 })
    expect(statSync(sealed).size).toBe(before)
  })
})

describe.runIf(HAS_NIH)('a plaintext re-identification table left by an earlier version', () => {
  const dataDir = join(dir.path, 'legacy', 'data')
  const officer = join(dir.path, 'legacy', 'dpo')
  const legacyMarkers: Marker[] = [
    { where: 'legacy patientName', value: 'LEGACYQZNAME^OLD' },
    { where: 'legacy patientId', value: 'LEGACYQZMRN77' },
    { where: 'legacy birthDate', value: '18771301' },
    { where: 'legacy sopInstanceUid', value: '1.2.826.0.1.3680043.10.999.77.424242' },
  ]

  beforeAll(() => {
    mkdirSync(dataDir, { recursive: true })
    // The table exactly as CXR Lens 0.1 wrote it (src/main/dicom/pseudonyms.ts before sealing).
    const old = new Database(join(dataDir, 'reidentification.sqlite'))
    old.pragma('journal_mode = WAL')
    old.exec(
      'CREATE TABLE pseudonyms (pseudonym TEXT PRIMARY KEY, kind TEXT NOT NULL, original TEXT NOT NULL, created_at TEXT NOT NULL) STRICT',
    )
    const insert = old.prepare('INSERT INTO pseudonyms VALUES (?, ?, ?, ?)')
    insert.run(
      'anon-00112233445566aa',
      'patient',
      JSON.stringify({ patientId: 'LEGACYQZMRN77', patientName: 'LEGACYQZNAME^OLD', birthDate: '18771301' }),
      '2024-01-02T03:04:05.000Z',
    )
    insert.run(
      'img-00112233445566bb.dcm',
      'instance',
      JSON.stringify({ sopInstanceUid: '1.2.826.0.1.3680043.10.999.77.424242' }),
      '2024-01-02T03:04:05.000Z',
    )
    old.close()
  })

  it('is reported loudly by check, reid status and app:info, with the command that seals it', async () => {
    const check = await cli(['check', '--data-dir', dataDir])
    expect(check.code).toBe(0) // the database itself is sound; scripts read the exit code as that
    expect(check.stderr).toMatch(/WARNING: PLAINTEXT PATIENT IDENTIFIERS: .*reidentification\.sqlite.*cxr-lens reid seal --public-key/)
    const status = await cli(['reid', 'status', '--json', '--data-dir', dataDir])
    expect(status.code).toBe(1)
    expect(JSON.parse(status.stdout)).toMatchObject({ enabled: false, legacyPlaintext: join(dataDir, 'reidentification.sqlite') })
    expect(reidentificationStatus(dataDir).warnings.join()).toMatch(/PLAINTEXT PATIENT IDENTIFIERS/)
    expect(scan([dataDir], legacyMarkers).hits.length).toBeGreaterThan(0) // the search sees the plaintext
  }, 60_000)

  it("is sealed to the officer's key and removed by reid seal; the officer reads it back", async () => {
    const keygen = JSON.parse(await ok(['reid', 'keygen', '--out', officer, '--rsa', '--json']))
    const sealed = JSON.parse(await ok(['reid', 'seal', '--public-key', keygen.publicKey, '--json', '--data-dir', dataDir]))
    expect(sealed).toMatchObject({ sealed: 2, removed: join(dataDir, 'reidentification.sqlite'), keyId: keygen.keyId })
    expect(readdirSync(dataDir).filter((n) => n.startsWith('reidentification.sqlite'))).toEqual([])
    expect(describeHits(scan([dataDir], legacyMarkers).hits)).toEqual([])
    const opened = JSON.parse(await ok(['reid', 'open', '--key', keygen.privateKey, join(dataDir, 'reidentification.sealed'), '--json']))
    expect(opened.records).toEqual([
      {
        source: 'legacy',
        at: '2024-01-02T03:04:05.000Z',
        patient: 'anon-00112233445566aa',
        original: { patientId: 'LEGACYQZMRN77', patientName: 'LEGACYQZNAME^OLD', birthDate: '18771301' },
      },
      {
        source: 'legacy',
        at: '2024-01-02T03:04:05.000Z',
        image: 'img-00112233445566bb.dcm',
        original: { sopInstanceUid: '1.2.826.0.1.3680043.10.999.77.424242' },
      },
    ])
    const after = await cli(['check', '--data-dir', dataDir])
    expect(after.stderr).not.toMatch(/WARNING/)
  }, 120_000)
})
