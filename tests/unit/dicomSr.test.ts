import dicomParser from 'dicom-parser'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importNih } from '../../src/main/cases/nihImporter'
import { CliContext } from '../../src/main/cli/cliContext'
import { runExport } from '../../src/main/cli/cliExport'
import { importDicom } from '../../src/main/dicom/dicomImporter'
import { caseImageUids, ENHANCED_SR, exportBoxesSr } from '../../src/main/interchange/srExport'
import type { CaseRecord } from '../../src/main/store/caseRepository'
import { CaseStore } from '../../src/main/store/caseStore'
import { writeDicom } from './dicomWriter'
import { BOXES_CSV, csvBoxes, HAS_NIH, imageFolder, LABELS_CSV, NIH_256, tempDir } from './helpers'

const dir = tempDir()
/** dcmtk's SR reader checks the Enhanced SR relationship constraints; used when installed (apt install dcmtk). */
const HAS_DSRDUMP = spawnSync('dsrdump', ['--version']).status === 0
afterAll(dir.cleanup)

type Ds = dicomParser.DataSet
const items = (ds: Ds, tag: string): Ds[] => (ds.elements[tag]?.items ?? []).map((i) => i.dataSet!)
const concept = (ds: Ds) => items(ds, 'x0040a043')[0]?.string('x00080100')
const children = (ds: Ds) => items(ds, 'x0040a730')
const child = (ds: Ds, value: string) => children(ds).find((c) => concept(c) === value)!
const floats = (ds: Ds, tag: string) => Array.from({ length: ds.elements[tag].length / 4 }, (_, i) => ds.float(tag, i)!)

describe.runIf(HAS_NIH)('DICOM SR (TID 1500) box export', () => {
  const dataDir = join(dir.path, 'data')
  const names = [...csvBoxes().keys()].filter((n) => readdirSync(NIH_256).includes(n)).slice(0, 3)
  const identity = {
    patientName: 'SMITH^JOHN',
    patientId: 'MRN-778899',
    birthDate: '19450607',
    sopInstanceUid: '1.2.826.0.1.3680043.10.999.77',
  }
  let store: CaseStore
  let dicomCase: CaseRecord

  beforeAll(async () => {
    store = CaseStore.open(join(dataDir, 'cxr-lens.sqlite'))
    await importNih(store, { imagesDir: imageFolder(dir.path, NIH_256, names), labelsCsv: LABELS_CSV, boxesCsv: BOXES_CSV })
    const png = new Uint8Array(await sharp(join(NIH_256, names[0])).greyscale().raw().toBuffer())
    mkdirSync(join(dir.path, 'dicom'))
    writeFileSync(
      join(dir.path, 'dicom', 'a.dcm'),
      writeDicom({ rows: 256, columns: 256, photometric: 'MONOCHROME2', bitsAllocated: 8, bitsStored: 8, pixels: png, ...identity }),
    )
    expect((await importDicom(store, { dicomDir: join(dir.path, 'dicom'), dataDir })).imported).toBe(1)
    dicomCase = store.cases.get(store.worklist.query({}).rows.find((r) => r.image.startsWith('img-'))!.id)!
    const reader = store.readers.create('Dr Ada Lovelace', 'radiologist')
    const at = '2026-11-20T10:11:12.000Z'
    store.annotations.addBox({
      caseId: dicomCase.id,
      finding: 'Nodule',
      x: 10.25,
      y: 20.5,
      w: 30.125,
      h: 40.1,
      source: 'reader',
      author: reader.name,
      readerId: reader.id,
      at,
    })
    store.annotations.addBox({
      caseId: dicomCase.id,
      finding: 'Rib fracture',
      x: 100,
      y: 50,
      w: 20,
      h: 10,
      source: 'reader',
      author: reader.name,
      readerId: reader.id,
      at,
    })
    const nihCase = store.cases.findByImageName(names[0])[0]
    store.annotations.addBox({
      caseId: nihCase.id,
      finding: 'Mass',
      x: 1,
      y: 2,
      w: 3,
      h: 4,
      source: 'reader',
      author: reader.name,
      readerId: reader.id,
      at,
    })
  })
  afterAll(() => store.close())

  it('writes one Enhanced SR per case with boxes: a Measurement Report with one group per box, exact corners, the case image referenced', () => {
    const reports = [...exportBoxesSr(store)]
    expect(reports.map((r) => r.record.imageName).sort()).toEqual([...names, dicomCase.imageName].sort())
    for (const { record, bytes, sopInstanceUid } of reports) {
      const boxes = store.annotations.boxes(record.id)
      const ds = dicomParser.parseDicom(bytes)
      expect(new TextDecoder().decode(bytes.subarray(128, 132))).toBe('DICM')
      expect(ds.string('x00020010')).toBe('1.2.840.10008.1.2.1')
      expect(ds.string('x00020002')).toBe(ENHANCED_SR)
      expect(ds.string('x00080016')).toBe(ENHANCED_SR)
      expect(ds.string('x00080018')).toBe(sopInstanceUid)
      expect(ds.string('x00080060')).toBe('SR')
      expect(ds.string('x0040a040')).toBe('CONTAINER')
      expect(concept(ds)).toBe('126000')
      expect(items(ds, 'x0040a504')[0].string('x0040db00')).toBe('1500')
      expect(concept(child(ds, '121049'))).toBe('121049')
      expect(items(child(ds, '121058'), 'x0040a168')[0].string('x00080100')).toBe('399208008')
      const observerTypes = children(ds)
        .filter((c) => concept(c) === '121005')
        .map((c) => items(c, 'x0040a168')[0].string('x00080104'))
      const sources = new Set(boxes.map((b) => b.source))
      expect(observerTypes.sort()).toEqual([...sources].map((s) => (s === 'dataset' ? 'Device' : 'Person')).sort())
      if (sources.has('reader')) expect(child(ds, '121008').string('x0040a123')).toBe('Dr Ada Lovelace')

      const uids = caseImageUids(record)
      expect(uids.sop).toMatch(/^2\.25\.\d{1,39}$/)
      const evidence = items(items(ds, 'x0040a375')[0], 'x00081115')[0]
      expect(items(evidence, 'x00081199')[0].string('x00081155')).toBe(uids.sop)
      const library = children(child(child(ds, '111028'), '126200'))[0]
      expect(items(library, 'x00081199')[0].string('x00081155')).toBe(uids.sop)

      const groups = children(child(ds, '126010'))
      expect(groups).toHaveLength(boxes.length)
      groups.forEach((group, i) => {
        const box = boxes[i]
        expect(concept(group)).toBe('125007')
        expect(child(group, '112039').string('x0040a160')).toContain(String(box.id))
        expect(child(group, '112040').string('x0040a124')).toMatch(/^2\.25\.\d+$/)
        const finding = items(child(group, '121071'), 'x0040a168')[0]
        expect([finding.string('x00080104'), finding.string('x00080102')]).toEqual([box.finding, '99CXRLENS'])
        expect(finding.string('x00080100')).toMatch(box.finding === 'Rib fracture' ? /^CXRX[0-9a-f]{12}$/ : /^CXR(0[1-9]|1[0-4])$/)
        const region = child(group, '111030')
        expect([region.string('x0040a040'), region.string('x00700023')]).toEqual(['SCOORD', 'POLYLINE'])
        const { x, y, w, h } = box
        // GraphicData is FL: the stored corners rounded to float32, nothing else.
        expect(floats(region, 'x00700022')).toEqual([x, y, x + w, y, x + w, y + h, x, y + h, x, y].map(Math.fround))
        const selected = children(region)[0]
        expect([selected.string('x0040a010'), selected.string('x0040a040')]).toEqual(['SELECTED FROM', 'IMAGE'])
        expect(items(selected, 'x00081199')[0].string('x00081155')).toBe(uids.sop)
      })
      expect(ds.string('x00100020')).toBe(record.patientPseudoId ?? record.imageName)
    }
    // Several observers in one report: each group says whose box it is.
    const mixed = reports.find((r) => r.record.imageName === names[0])!
    const groups = children(child(dicomParser.parseDicom(mixed.bytes), '126010'))
    expect(groups.map((g) => items(child(g, '121005'), 'x0040a168')[0].string('x00080104'))).toContain('Person')
    expect(groups.map((g) => items(child(g, '121005'), 'x0040a168')[0].string('x00080104'))).toContain('Device')
  })

  it('keeps every identifying attribute of a DICOM case out of the SR and derives stable UIDs', () => {
    const [first] = [...exportBoxesSr(store, { source: 'reader' })].filter((r) => r.record.id === dicomCase.id)
    const text = Buffer.from(first.bytes).toString('latin1')
    for (const value of Object.values(identity)) expect(text).not.toContain(value)
    expect(text).not.toContain('1.2.826.0.1.3680043.10.999.2') // the source study UID
    const ds = dicomParser.parseDicom(first.bytes)
    expect(ds.string('x00100010')).toBe(dicomCase.patientPseudoId)
    expect(dicomCase.patientPseudoId).toMatch(/^anon-/)
    const again = [...exportBoxesSr(store, { source: 'reader' })].find((r) => r.record.id === dicomCase.id)!
    expect(Buffer.from(again.bytes).equals(Buffer.from(first.bytes))).toBe(true)
    const nih = caseImageUids(store.cases.findByImageName(names[1])[0])
    expect(nih.sop).not.toBe(caseImageUids(dicomCase).sop)
  })

  it('exports through the CLI to a folder, and to one file only when one case matches', async () => {
    store.close()
    const ctx = new CliContext(['--data-dir', dataDir])
    try {
      const out = join(dir.path, 'sr')
      expect(await runExport(ctx, ['boxes', '--format', 'sr', '--source', 'reader', '--out', out])).toBe(0)
      expect(readdirSync(out).sort()).toEqual(
        [`${dicomCase.imageName.replace(/\.dcm$/, '')}.sr.dcm`, `${names[0].replace(/\.png$/, '')}.sr.dcm`].sort(),
      )
      const parsed = dicomParser.parseDicom(readFileSync(join(out, readdirSync(out)[0])))
      expect(parsed.string('x00080016')).toBe(ENHANCED_SR)
      if (HAS_DSRDUMP) {
        for (const file of readdirSync(out)) {
          const check = spawnSync('dsrdump', [join(out, file)], { encoding: 'utf8' })
          expect(
            check.stderr.split('\n').filter((l) => /^[EF]:/.test(l)),
            file,
          ).toEqual([])
          expect(check.stdout).toContain('Imaging Measurement Report')
        }
      } else console.warn('dsrdump (dcmtk) not installed: SR relationship constraints not checked by an independent reader')
      await expect(runExport(ctx, ['boxes', '--format', 'sr', '--out', join(dir.path, 'one.dcm')])).rejects.toThrow(
        /is one file, but 4 cases have boxes; give a folder/,
      )
      await expect(runExport(ctx, ['boxes', '--format', 'svg', '--out', out])).rejects.toThrow(/--format nih, coco or sr/)
    } finally {
      ctx.store.close()
      store = CaseStore.open(join(dataDir, 'cxr-lens.sqlite'))
    }
  })
})
