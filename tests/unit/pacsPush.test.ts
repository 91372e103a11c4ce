/**
 * Results back and a department, against a real Orthanc (tests/unit/orthanc.ts): a study
 * carrying PHI is stored in Orthanc and imported (a DICOM folder import, as the PACS pull does through
 * the same DicomSource); its original UIDs are kept sealed; a reader's boxes, the model's regions and
 * the heatmap go back by STOW-RS into the SAME study and are read back from Orthanc's REST API
 * (dsrdump reads the SR, dcmdump the Secondary Capture); a second data folder pulls the first
 * reader's boxes, twice without duplicates; refusals are named.
 */
import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createDispatcher } from '../../src/main/api/dispatch'
import { createHandlers } from '../../src/main/api/handlers'
import { createSession } from '../../src/main/api/session'
import { CliContext, UsageError } from '../../src/main/cli/cliContext'
import { runPacsPush } from '../../src/main/cli/cliPacsPush'
import { DataFolder } from '../../src/main/config/dataFolder'
import { openServices } from '../../src/main/services/openServices'
import { AnnotationService } from '../../src/main/annotations/annotationService'
import { importDicom } from '../../src/main/dicom/dicomImporter'
import { openOriginalUids } from '../../src/main/dicom/originalUids'
import { pushCases, type PushDeps } from '../../src/main/pacs/pushResults'
import type { DicomJson, PacsResultsTransport } from '../../src/main/pacs/resultsTransport'
import { afterStudyPulled } from '../../src/main/pacs/studyResults'
import { DicomwebClient } from '../../src/main/pacs/dicomwebClient'
import { pullStudies } from '../../src/main/pacs/pacsPull'
import { CaseStore } from '../../src/main/store/caseStore'
import { writeDicom } from './dicomWriter'
import { HAS_NIH, NIH_256, tempDir } from './helpers'
import { HAS_ORTHANC, startOrthanc, type RunningOrthanc } from './orthanc'

const HAS_DCMTK = spawnSync('dsrdump', ['--version']).status === 0 && spawnSync('dcmdump', ['--version']).status === 0
const STUDY = '1.2.826.0.1.3680043.10.999.4711.1'
const SERIES = '1.2.826.0.1.3680043.10.999.4711.2'
const SOPS = ['1.2.826.0.1.3680043.10.999.4711.3.1', '1.2.826.0.1.3680043.10.999.4711.3.2']
const PATIENT = { name: 'MÜLLERQZ^ANNA', id: 'MRNQZ-80412', birthDate: '19510203', accession: 'ACCQZ7788' }
const ORIGINALS = [STUDY, SERIES, ...SOPS, PATIENT.id, PATIENT.accession, 'MÜLLERQZ', 'MLLERQZ']
const MODEL = { id: 'push-test-model', version: '1.0.0' }

/** A transport over Orthanc's DICOMweb (QIDO, metadata, STOW) and REST (retrieve), as a PACS client would be. */
function orthancTransport(o: RunningOrthanc, options: { password?: string; stowStudy?: string } = {}) {
  const authorization = `Basic ${Buffer.from(`${o.user}:${options.password ?? o.password}`).toString('base64')}`
  const calls: string[] = []
  const get = async (url: string, accept: string) => {
    const response = await fetch(url, { headers: { authorization, accept } })
    if (!response.ok) throw new Error(`HTTP ${response.status} from ${new URL(url).pathname.split('/').slice(0, 3).join('/')}`)
    return response
  }
  const transport: PacsResultsTransport & { calls: string[] } = {
    calls,
    async searchInstances(study, query = {}) {
      calls.push('search')
      const response = await get(`${o.dicomWebUrl}/studies/${study}/instances?${new URLSearchParams(query)}`, 'application/dicom+json')
      const text = await response.text()
      return text ? (JSON.parse(text) as DicomJson[]) : []
    },
    async studyMetadata(study) {
      calls.push('metadata')
      return (await (await get(`${o.dicomWebUrl}/studies/${study}/metadata`, 'application/dicom+json')).json()) as DicomJson[]
    },
    async retrieveInstance(_study, _series, sop) {
      calls.push('retrieve')
      const [hit] = (await (await o.rest('/tools/lookup', { method: 'POST', body: sop })).json()) as Array<{ ID: string }>
      return new Uint8Array(await (await o.rest(`/instances/${hit.ID}/file`)).arrayBuffer())
    },
    async store(study, instances) {
      calls.push('store')
      const boundary = `cxr-${randomUUID()}`
      const parts: Buffer[] = []
      for (const instance of instances)
        parts.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), Buffer.from(instance), Buffer.from('\r\n'))
      parts.push(Buffer.from(`--${boundary}--\r\n`))
      const response = await fetch(`${o.dicomWebUrl}/studies/${options.stowStudy ?? study}`, {
        method: 'POST',
        body: Buffer.concat(parts),
        headers: {
          authorization,
          accept: 'application/dicom+json',
          'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
        },
      })
      if (!response.ok) throw new Error(`STOW-RS answered HTTP ${response.status}`)
      return response.json()
    },
  }
  return transport
}

function* filesUnder(root: string): Generator<string> {
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name)
    if (entry.isDirectory()) yield* filesUnder(path)
    else if (entry.isFile()) yield path
  }
}

/** Every original identifier found in any file under `root` (UTF-8 and UTF-16LE). */
function plaintextOriginals(root: string): string[] {
  const hits: string[] = []
  for (const file of filesUnder(root)) {
    const bytes = readFileSync(file)
    for (const value of ORIGINALS)
      if (bytes.includes(Buffer.from(value, 'utf8')) || bytes.includes(Buffer.from(value, 'utf16le'))) hits.push(`${value} in ${file}`)
  }
  return hits
}

const dcmtk = (tool: string, file: string, args: string[] = []) => {
  const run = spawnSync(tool, [...args, file], { encoding: 'utf8' })
  return { status: run.status, out: `${run.stdout}${run.stderr}` }
}

describe.runIf(HAS_ORTHANC && HAS_NIH && HAS_DCMTK)('PACS: results back and a department (real Orthanc)', () => {
  const dir = tempDir('cxr-pacs-push-')
  let orthanc: RunningOrthanc
  const dicomDir = join(dir.path, 'study')
  const dataA = join(dir.path, 'workstation-a')
  const dataB = join(dir.path, 'workstation-b')
  let storeA: CaseStore
  let storeB: CaseStore
  let caseA: number
  let caseB: number

  beforeAll(async () => {
    orthanc = await startOrthanc()
    mkdirSync(dicomDir, { recursive: true })
    const names = readdirSync(NIH_256).sort().slice(0, 2)
    for (const [i, sop] of SOPS.entries()) {
      const pixels = new Uint8Array(await sharp(join(NIH_256, names[i])).greyscale().raw().toBuffer())
      const bytes = writeDicom({
        rows: 256,
        columns: 256,
        photometric: 'MONOCHROME2',
        bitsAllocated: 8,
        bitsStored: 8,
        pixels,
        sopInstanceUid: sop,
        patientName: PATIENT.name,
        patientId: PATIENT.id,
        birthDate: PATIENT.birthDate,
        extra: [
          { tag: 0x00080005, vr: 'CS', value: 'ISO_IR 192' },
          { tag: 0x00080020, vr: 'DA', value: '20260301' },
          { tag: 0x00080030, vr: 'TM', value: '101500' },
          { tag: 0x00080050, vr: 'SH', value: PATIENT.accession },
          { tag: 0x00080060, vr: 'CS', value: 'DX' },
          { tag: 0x0020000d, vr: 'UI', value: STUDY },
          { tag: 0x0020000e, vr: 'UI', value: SERIES },
          { tag: 0x00200011, vr: 'IS', value: '1' },
          { tag: 0x00200013, vr: 'IS', value: String(i + 1) },
        ],
      })
      writeFileSync(join(dicomDir, `${i}.dcm`), bytes)
      await orthanc.upload(bytes)
    }
    storeA = CaseStore.open(join(dataA, 'cxr-lens.sqlite'))
    expect(await importDicom(storeA, { dicomDir, dataDir: dataA })).toMatchObject({ imported: 2, failed: [] })
    caseA = storeA.worklist.query({}).rows[0].id
  }, 120_000)

  afterAll(async () => {
    storeA?.close()
    storeB?.close()
    await orthanc?.stop()
    dir.cleanup()
  })

  const deps = (store: CaseStore, dataDir: string, transport: PacsResultsTransport, actor = 'test'): PushDeps => ({
    store,
    dataDir,
    transport,
    pacsName: 'orthanc-test',
    actor,
  })

  it('keeps each case’s original UIDs sealed: they open with the vault, and no file of the data folder holds one', () => {
    const opened = storeA.worklist.query({}).rows.map((r) => openOriginalUids(storeA, dataA, r.id))
    expect(opened.map((u) => u.sop).sort()).toEqual([...SOPS].sort())
    for (const u of opened) expect(u).toMatchObject({ study: STUDY, series: SERIES, sopClass: '1.2.840.10008.5.1.4.1.1.1.1' })
    expect(storeA.caseSources.get(caseA)).toMatchObject({ kind: 'folder', pacsName: null, sealedUids: expect.stringMatching(/^v1:/) })
    // The search can fail: the study's own files hold every value it looks for.
    expect(plaintextOriginals(dicomDir).length).toBeGreaterThanOrEqual(ORIGINALS.length - 1)
    expect(plaintextOriginals(dataA)).toEqual([])
  })

  it('sends the SR and the heatmap as a Secondary Capture into the SAME study; Orthanc files them there and dcmtk reads both', async () => {
    const annotations = new AnnotationService(storeA)
    const reader = storeA.readers.create('Dr Ada Reader', 'radiologist')
    annotations.createBox(caseA, reader.id, { finding: 'Effusion', x: 30.25, y: 40.5, w: 60, h: 50 })
    annotations.createBox(caseA, reader.id, { finding: 'Nodule', x: 150, y: 60, w: 20, h: 22 })
    storeA.transaction(() => {
      storeA.models.register(MODEL.id, MODEL.version, 'f'.repeat(64), '{}')
      storeA.results.putPredictions(caseA, MODEL.id, MODEL.version, { Effusion: 0.8125, Nodule: 0.25 })
      const data = new Float32Array(64)
      data[2 * 8 + 2] = 1 // one hot cell: one thresholded region, upper left
      data[2 * 8 + 3] = 0.8
      storeA.results.putHeatmap({
        caseId: caseA,
        modelId: MODEL.id,
        modelVersion: MODEL.version,
        finding: 'Effusion',
        method: 'gradcam',
        params: {},
        width: 8,
        height: 8,
        data,
      })
    })
    const transport = orthancTransport(orthanc)
    const summary = await pushCases(deps(storeA, dataA, transport), [caseA], { model: MODEL, withModel: true })
    expect(summary.failed).toEqual([])
    const [pushed] = summary.pushed
    expect(pushed).toMatchObject({
      caseId: caseA,
      boxes: 2,
      regions: 1,
      sr: expect.stringMatching(/^2\.25\./),
      sc: expect.stringMatching(/^2\.25\./),
    })
    // The Patient and Study modules came from a metadata request made for this push.
    expect(transport.calls.slice(0, 2)).toEqual(['metadata', 'store'])

    const [study] = (await (await orthanc.rest('/tools/lookup', { method: 'POST', body: STUDY })).json()) as Array<{
      ID: string
      Type: string
    }>
    expect(study.Type).toBe('Study')
    const instances = (await (await orthanc.rest(`/studies/${study.ID}/instances`)).json()) as Array<{
      ID: string
      MainDicomTags: { SOPInstanceUID: string }
    }>
    expect(instances.map((i) => i.MainDicomTags.SOPInstanceUID).sort()).toEqual([...SOPS, pushed.sr, pushed.sc].sort())
    const file = async (sop: string) => {
      const id = instances.find((i) => i.MainDicomTags.SOPInstanceUID === sop)!.ID
      const path = join(dir.path, `${sop}.dcm`)
      writeFileSync(path, new Uint8Array(await (await orthanc.rest(`/instances/${id}/file`)).arrayBuffer()))
      return path
    }

    const srFile = await file(pushed.sr!)
    const sr = dcmtk('dsrdump', srFile, ['-Ec'])
    expect(sr.status, sr.out).toBe(0)
    expect(sr.out).toMatch(/Enhanced SR/)
    expect(sr.out).toMatch(/Person Observer Name.*Dr Ada Reader/)
    expect(sr.out).toMatch(/Device Observer Name.*push-test-model 1\.0\.0/)
    expect(sr.out).toMatch(/Model probability.*0\.8125/)
    const srHeader = dcmtk('dcmdump', srFile)
    expect(srHeader.out).toContain(`[${openOriginalUids(storeA, dataA, caseA).sop}]`) // the boxes reference the original image
    expect(srHeader.out).toContain(STUDY) // the original study, not a derived one
    expect(srHeader.out).toMatch(/\(0010,0010\) PN \[MÜLLERQZ\^ANNA\]/) // as the PACS holds it
    expect(srHeader.out).toMatch(/\(0008,0050\) SH \[ACCQZ7788\]/)

    const scFile = await file(pushed.sc!)
    const sc = dcmtk('dcmdump', scFile)
    expect(sc.status, sc.out).toBe(0)
    for (const line of [
      /\(0008,0008\) CS \[DERIVED\\SECONDARY\]/,
      /\(0008,0016\) UI =SecondaryCaptureImageStorage/,
      /\(0008,0064\) CS \[WSD\]/,
      /\(0008,103e\) LO \[CXR Lens Grad-CAM \(AI, not for diagnosis\)\]/,
      /\(0008,2111\) ST \[Grad-CAM heatmap of model push-test-model 1\.0\.0 for Effusion/,
      /\(0028,0004\) CS \[RGB\]/,
      /\(0028,0301\) CS \[YES\]/,
      /\(0010,0020\) LO \[MRNQZ-80412\]/,
    ])
      expect(sc.out).toMatch(line)
    expect(sc.out).toContain(STUDY)
    // The pixels are the overlay: coloured (R ≠ B) where the map is hot, gray where it is not.
    const scPixels = readFileSync(scFile).subarray(-256 * 256 * 3)
    const at = (x: number, y: number) => scPixels.subarray((y * 256 + x) * 3, (y * 256 + x) * 3 + 3)
    expect(at(88, 88)[0]).toBeGreaterThan(at(88, 88)[2] + 40)
    expect(at(240, 240)[0]).toBe(at(240, 240)[2])

    const audit = storeA.audit.entries(caseA).filter((e) => e.action === 'pacs.push')
    expect(audit).toHaveLength(1)
    expect(audit[0].detail).toEqual({ pacs: 'orthanc-test', sr: true, sc: true, boxes: 2, regions: 1 })
    expect(plaintextOriginals(dataA)).toEqual([])
  }, 120_000)

  it('lets a second workstation pull the first reader’s boxes, twice without duplicates', async () => {
    storeB = CaseStore.open(join(dataB, 'cxr-lens.sqlite'))
    expect(await importDicom(storeB, { dicomDir, dataDir: dataB })).toMatchObject({ imported: 2 })
    // Each workstation has its own pseudonym key: the case is found through the referenced SOP Instance UID.
    caseB = storeB.worklist
      .query({})
      .rows.find((r) => openOriginalUids(storeB, dataB, r.id).sop === openOriginalUids(storeA, dataA, caseA).sop)!.id
    expect(storeB.cases.get(caseB)!.imageName).not.toBe(storeA.cases.get(caseA)!.imageName)

    const transport = orthancTransport(orthanc)
    const first = await afterStudyPulled(STUDY, transport, storeB, { dataDir: dataB })
    expect(first).toMatchObject({ found: 1, imported: 1, boxes: 2, readersAdded: ['Dr Ada Reader'], skipped: [] })
    const boxes = storeB.annotations.boxes(caseB)
    expect(boxes.map((b) => [b.finding, b.author, b.source])).toEqual([
      ['Effusion', 'Dr Ada Reader', 'reader'],
      ['Nodule', 'Dr Ada Reader', 'reader'],
    ])
    expect(boxes[0].x).toBeCloseTo(30.25, 5)
    expect(boxes[0].w).toBeCloseTo(60, 5)
    const ada = storeB.readers.list().find((r) => r.name === 'Dr Ada Reader')!
    expect(ada).toMatchObject({ role: 'radiologist', hasSecret: false, administrator: false }) // attribution only: cannot log in

    const again = await afterStudyPulled(STUDY, transport, storeB, { dataDir: dataB })
    expect(again).toMatchObject({ found: 1, imported: 0, boxes: 0, readersAdded: [] })
    expect(storeB.annotations.boxes(caseB)).toHaveLength(2)

    // B's own reader boxes the same finding: the case now has two authors, so agreement spans workstations.
    const bob = storeB.readers.create('Dr Bob Second', 'radiologist')
    new AnnotationService(storeB).createBox(caseB, bob.id, { finding: 'Effusion', x: 35, y: 45, w: 55, h: 50 })
    expect(storeB.annotations.casesWithSeveralAuthors()).toContain(caseB)

    // B sends only what was drawn at B; A pulls it and gets Bob's box, not a second copy of its own.
    const fromB = await pushCases(deps(storeB, dataB, transport), [caseB], { model: null })
    expect(fromB.failed).toEqual([])
    expect(fromB.pushed[0]).toMatchObject({ boxes: 1, sc: null })
    const atA = await afterStudyPulled(STUDY, transport, storeA, { dataDir: dataA })
    expect(atA).toMatchObject({ found: 2, imported: 1, boxes: 1, readersAdded: ['Dr Bob Second'] })
    expect(
      storeA.annotations
        .boxes(caseA)
        .map((b) => b.author)
        .sort(),
    ).toEqual(['Dr Ada Reader', 'Dr Ada Reader', 'Dr Bob Second'])
    expect(plaintextOriginals(dataB)).toEqual([])
  }, 120_000)

  it('a pacs pull of the study brings the other workstations’ boxes with the images, and a re-pull adds nothing', async () => {
    const dataC = join(dir.path, 'workstation-c')
    const storeC = CaseStore.open(join(dataC, 'cxr-lens.sqlite'))
    try {
      const client = new DicomwebClient({
        name: 'orthanc-test',
        url: orthanc.dicomWebUrl,
        auth: { kind: 'basic', user: orthanc.user, password: orthanc.password },
      })
      const pulled = await pullStudies(storeC, dataC, client, { studies: [STUDY] })
      expect(pulled).toMatchObject({ imported: 2, failed: [] })
      // Ada's two boxes (from A) and Bob's (from B), through the SRs the PACS holds; the SR and SC objects are not cases.
      expect(pulled.readerBoxes).toMatchObject({ srs: 2, boxes: 3 })
      expect(pulled.readerBoxes.readersAdded.sort()).toEqual(['Dr Ada Reader', 'Dr Bob Second'])
      const authors = storeC.worklist
        .query({})
        .rows.flatMap((r) => storeC.annotations.boxes(r.id).map((b) => b.author))
        .sort()
      expect(authors).toEqual(['Dr Ada Reader', 'Dr Ada Reader', 'Dr Bob Second'])
      const again = await pullStudies(storeC, dataC, client, { studies: [STUDY] })
      expect(again).toMatchObject({ imported: 0, duplicates: 2, readerBoxes: { srs: 0, boxes: 0 } })
      expect(plaintextOriginals(dataC)).toEqual([])
    } finally {
      storeC.close()
    }
  }, 120_000)

  it('names each refusal and records nothing for a case that was not sent', async () => {
    const auditBefore = storeA.audit.entries(caseA).length
    // Orthanc refuses instances STOWed into another study's URL; the lookup afterwards finds none.
    const misfiled = orthancTransport(orthanc, { stowStudy: '1.2.826.0.1.3680043.10.999.1' })
    const box = new AnnotationService(storeA)
    box.createBox(caseA, storeA.readers.list().find((r) => r.name === 'Dr Ada Reader')!.id, { finding: 'Mass', x: 10, y: 10, w: 5, h: 5 })
    const refused = await pushCases(deps(storeA, dataA, misfiled), [caseA], { model: null })
    expect(refused.pushed).toEqual([])
    expect(refused.failed[0].error).toMatch(
      /The PACS orthanc-test (refused the results of case \d+|accepted the request but does not hold the SR of case \d+)/,
    )

    const wrongPassword = await pushCases(deps(storeA, dataA, orthancTransport(orthanc, { password: 'wrong' })), [caseA], { model: null })
    expect(wrongPassword.failed[0].error).toMatch(/^The PACS orthanc-test did not give the study of case \d+ \(HTTP 401.*nothing was sent$/)
    expect(storeA.audit.entries(caseA)).toHaveLength(auditBefore + 1) // only the new box's row

    // A case whose file had no Series Instance UID has no original study to send to.
    const lone = join(dir.path, 'lone')
    mkdirSync(lone)
    writeFileSync(
      join(lone, 'x.dcm'),
      writeDicom({
        rows: 4,
        columns: 4,
        photometric: 'MONOCHROME2',
        bitsAllocated: 8,
        bitsStored: 8,
        pixels: Array.from({ length: 16 }, () => 7),
        sopInstanceUid: '1.2.826.0.1.3680043.10.999.55',
      }),
    )
    await importDicom(storeA, { dicomDir: lone, dataDir: dataA })
    const loneCase = storeA.worklist.query({}).rows.find((r) => !storeA.caseSources.get(r.id))!.id
    const none = await pushCases(deps(storeA, dataA, orthancTransport(orthanc)), [loneCase], { model: null })
    expect(none.failed).toEqual([
      { caseId: loneCase, image: expect.any(String), error: expect.stringMatching(/has no original study to send results to/) },
    ])
    expect(statSync(join(dataA, 'vault.key')).mode & 0o777).toBe(0o600)

    // A study the PACS does not hold (deleted there, or never stored): Orthanc answers 404, named per case.
    const elsewhere = join(dir.path, 'elsewhere')
    mkdirSync(elsewhere)
    const extra = [
      { tag: 0x0020000d, vr: 'UI', value: '1.2.826.0.1.3680043.10.999.66.1' },
      { tag: 0x0020000e, vr: 'UI', value: '1.2.826.0.1.3680043.10.999.66.2' },
    ] as const
    const pixels = Array.from({ length: 16 }, () => 9)
    writeFileSync(
      join(elsewhere, 'y.dcm'),
      writeDicom({
        rows: 4,
        columns: 4,
        photometric: 'MONOCHROME2',
        bitsAllocated: 8,
        bitsStored: 8,
        pixels,
        sopInstanceUid: '1.2.826.0.1.3680043.10.999.66.3',
        extra: [...extra],
      }),
    )
    await importDicom(storeA, { dicomDir: elsewhere, dataDir: dataA })
    const missing = storeA.worklist
      .query({})
      .rows.find((r) => storeA.caseSources.get(r.id) && openOriginalUids(storeA, dataA, r.id).study === extra[0].value)!.id
    const notThere = await pushCases(deps(storeA, dataA, orthancTransport(orthanc)), [missing], { model: null })
    expect(notThere.failed[0].error).toMatch(new RegExp(`^The PACS orthanc-test did not give the study of case ${missing} \\(HTTP 404`))
  }, 120_000)

  it('cxr-lens pacs push: --case by name, --json without the original study UID, exit 1 when a case is refused', async () => {
    const ctx = new CliContext(['--data-dir', dataA], 'pacs push')
    const printed: string[] = []
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line))
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    try {
      const transport = orthancTransport(orthanc)
      const image = storeA.cases.get(caseA)!.imageName
      const connected: string[] = []
      const connect = (_: CliContext, name: string) => (connected.push(name), transport)
      expect(await runPacsPush(ctx, ['orthanc-test', '--case', image, '--json', '--data-dir', dataA], connect)).toBe(0)
      expect(connected).toEqual(['orthanc-test'])
      const out = JSON.parse(printed.at(-1)!)
      expect(out).toMatchObject({ pushed: [{ caseId: caseA, image, sr: expect.stringMatching(/^2\.25\./), boxes: 3 }], failed: [] })
      // No map of the installed default model is stored for this case: said, not silently dropped.
      expect(out.pushed[0].notes.join()).toMatch(/no Grad-CAM map of .* is stored for this case yet/)
      for (const original of [STUDY, SERIES, ...SOPS]) expect(printed.join('\n')).not.toContain(original)
      // The same content again is the same SR instance: the PACS files no second copy.
      const count = async () => ((await (await orthanc.rest('/statistics')).json()) as { CountInstances: number }).CountInstances
      const before = await count()
      expect(await runPacsPush(ctx, ['orthanc-test', '--case', image, '--json', '--data-dir', dataA], connect)).toBe(0)
      expect(JSON.parse(printed.at(-1)!).pushed[0].sr).toBe(out.pushed[0].sr)
      expect(await count()).toBe(before)

      const lone = storeA.worklist.query({}).rows.find((r) => !storeA.caseSources.get(r.id))!
      expect(await runPacsPush(ctx, ['orthanc-test', '--case', String(lone.id), '--json', '--data-dir', dataA], connect)).toBe(1)
      expect(JSON.parse(printed.at(-1)!).failed[0]).toMatchObject({ caseId: lone.id, error: expect.stringMatching(/no original study/) })

      // Nothing reviewed yet: nothing to send, and that is not an error.
      expect(await runPacsPush(ctx, ['orthanc-test', '--all-reviewed', '--json', '--data-dir', dataA], connect)).toBe(0)
      expect(JSON.parse(printed.at(-1)!)).toEqual({ pushed: [], failed: [] })
      await expect(runPacsPush(ctx, ['orthanc-test', '--json'], connect)).rejects.toThrow(UsageError)
      await expect(runPacsPush(ctx, ['orthanc-test', '--all-reviewed', '--case', image], connect)).rejects.toThrow(UsageError)
      await expect(runPacsPush(ctx, ['--all-reviewed'], connect)).rejects.toThrow(UsageError)
    } finally {
      log.mockRestore()
      errors.mockRestore()
      await ctx.close()
    }
  }, 120_000)

  it('pacs:push from the app: a logged-in reader only, a configured PACS only', async () => {
    const dataC = join(dir.path, 'workstation-c')
    const core = openServices(new DataFolder(dataC), { kind: 'web' })
    try {
      await importDicom(core.store, { dicomDir, dataDir: dataC })
      const transport = orthancTransport(orthanc)
      const dispatch = createDispatcher(
        createHandlers(core, undefined, undefined, { names: () => ['orthanc-test'], transport: () => transport }),
        () => undefined,
      )
      const session = createSession()
      const caseId = core.store.worklist.query({}).rows[0].id
      expect(await dispatch('pacs:pushTargets', {}, session)).toEqual({ ok: true, data: { names: ['orthanc-test'] } })
      expect(await dispatch('pacs:push', { caseId, pacs: 'orthanc-test' }, session)).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      })
      const enrolled = await dispatch('readers:create', { name: 'Dr Cleo Third', role: 'radiologist', secret: 'third-secret-1' }, session)
      expect(enrolled.ok).toBe(true)
      const readerId = (enrolled as { data: { id: number } }).data.id
      await dispatch('boxes:create', { caseId, readerId, box: { finding: 'Mass', x: 100, y: 100, w: 30, h: 30 } }, session)
      expect(await dispatch('pacs:push', { caseId, pacs: 'elsewhere' }, session)).toMatchObject({
        ok: false,
        error: { code: 'failed', message: 'No PACS named "elsewhere" is configured (configured: orthanc-test)' },
      })
      const sent = await dispatch('pacs:push', { caseId, pacs: 'orthanc-test' }, session)
      expect(sent).toMatchObject({ ok: true, data: { caseId, boxes: 1, sr: expect.stringMatching(/^2\.25\./) } })
      const audit = core.store.audit.entries(caseId).find((e) => e.action === 'pacs.push')!
      expect(audit.actor).toBe('Dr Cleo Third')
      // With no connection configured the app offers none.
      const bare = createDispatcher(createHandlers(core), () => undefined)
      expect(await bare('pacs:pushTargets', {}, session)).toEqual({ ok: true, data: { names: [] } })
    } finally {
      await core.close()
    }
  }, 120_000)
})
