/**
 * Reading CXR Lens SRs back (interchange/srImport.ts) and the PACS study hook's handling of what a
 * PACS may hold besides them (pacs/studyResults.ts), without a PACS: the SR this repo writes parses to
 * its boxes and observers; a corrupt file, another SOP class, another vendor's SR and a malformed
 * region are each skipped with a reason naming the SR, never a crash. Plus the DICOM JSON copy of the
 * Patient and Study modules (pacs/dicomJson.ts), whose errors never quote a patient's value.
 */
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readMeasurementReport, SrImportError } from '../../src/main/interchange/srImport'
import { boxGroups, deviceObserver, measurementReport, type SrPlacement } from '../../src/main/interchange/srExport'
import { patientStudyModules } from '../../src/main/pacs/studyModules'
import { afterStudyPulled } from '../../src/main/pacs/studyResults'
import { CaseStore } from '../../src/main/store/caseStore'
import { writeDicom } from './dicomWriter'
import { tempDir } from './helpers'

const dir = tempDir('cxr-srimport-')
afterAll(dir.cleanup)

const placement = (sop: string): SrPlacement => ({
  studyUid: '1.2.3.4',
  seriesUid: '1.2.3.5',
  sopInstanceUid: sop,
  ref: { sopClassUid: '1.2.840.10008.5.1.4.1.1.1.1', sopInstanceUid: '1.2.3.6.1' },
  refSeriesUid: '1.2.3.6',
  patientStudy: [],
  seriesNumber: '9901',
  at: '2026-12-01T10:00:00.000Z',
})

describe('reading a CXR Lens TID 1500 SR back', () => {
  const store = CaseStore.open(join(dir.path, 'a', 'cxr-lens.sqlite'))
  afterAll(() => store.close())
  const reader = store.readers.create('Dr Ada^Lovelace', 'radiologist')
  const box = (id: number, finding: string, x: number) => ({
    id,
    caseId: 1,
    finding,
    x,
    y: 20.5,
    w: 30.125,
    h: 40,
    source: 'reader' as const,
    author: reader.name,
    readerId: reader.id,
    createdAt: '',
    updatedAt: '',
  })
  const record = { imageName: 'img-x.dcm', sourceFormat: 'dicom', sha256: 'a'.repeat(64) } as Parameters<typeof boxGroups>[1]

  it('gives each box with its observer, finding, corners and referenced image', () => {
    const groups = [
      ...boxGroups(store, record, [box(1, 'Nodule', 10.25), box(2, 'Effusion', 100)]),
      {
        ...deviceObserver('model 1.0', ['model', '1.0']),
        trackingId: 'r',
        trackingUid: '1.2.9',
        finding: 'Nodule',
        box: { x: 1, y: 2, w: 3, h: 4 },
      },
    ]
    const report = readMeasurementReport(measurementReport(groups, placement('1.2.3.7')), 'sr.dcm')
    expect(report).toMatchObject({ sopInstanceUid: '1.2.3.7', manufacturer: 'CXR Lens', refused: [] })
    expect(report.boxes).toEqual([
      // PN components lose ^ on the way out (srContent personName)
      {
        observer: { kind: 'person', name: 'Dr Ada Lovelace', role: 'Radiologist' },
        finding: 'Nodule',
        x: 10.25,
        y: 20.5,
        w: 30.125,
        h: 40,
        imageSopUid: '1.2.3.6.1',
      },
      {
        observer: { kind: 'person', name: 'Dr Ada Lovelace', role: 'Radiologist' },
        finding: 'Effusion',
        x: 100,
        y: 20.5,
        w: 30.125,
        h: 40,
        imageSopUid: '1.2.3.6.1',
      },
      { observer: { kind: 'device', name: 'model 1.0' }, finding: 'Nodule', x: 1, y: 2, w: 3, h: 4, imageSopUid: '1.2.3.6.1' },
    ])
  })

  it('refuses a truncated file and another SOP class by name', () => {
    const bytes = measurementReport(boxGroups(store, record, [box(1, 'Nodule', 10)]), placement('1.2.3.8'))
    expect(() => readMeasurementReport(bytes.subarray(0, 400), 'SR 2 of the study')).toThrow(SrImportError)
    expect(() => readMeasurementReport(bytes.subarray(0, 400), 'SR 2 of the study')).toThrow(
      /^SR 2 of the study: not a readable DICOM file/,
    )
    const dx = writeDicom({ rows: 2, columns: 2, photometric: 'MONOCHROME2', bitsAllocated: 8, bitsStored: 8, pixels: [1, 2, 3, 4] })
    expect(() => readMeasurementReport(dx, 'x.dcm')).toThrow(
      /^x\.dcm: not an Enhanced SR \(SOP Class 1\.2\.840\.10008\.5\.1\.4\.1\.1\.1\.1\)/,
    )
  })

  it('skips a group whose region is not a box, keeping the others', () => {
    const groups = boxGroups(store, record, [box(1, 'Nodule', 10), box(2, 'Mass', 50)])
    groups[0].box = { x: 5, y: 5, w: 0, h: 3 } // an empty box: degenerate region
    const report = readMeasurementReport(measurementReport(groups, placement('1.2.3.9')), 'sr')
    expect(report.refused).toEqual(['sr: an empty image region'])
    expect(report.boxes.map((b) => b.finding)).toEqual(['Mass'])
  })
})

describe('afterStudyPulled with what else a PACS holds', () => {
  it('reads only CXR Lens SRs; a corrupt one is skipped with a reason; nothing is recorded for either', async () => {
    const store = CaseStore.open(join(dir.path, 'b', 'cxr-lens.sqlite'))
    try {
      const ours = measurementReport([], placement('1.2.3.20'))
      const theirs = new Uint8Array(ours)
      const at = Buffer.from(theirs).indexOf('CXR Lens')
      theirs.set(Buffer.from('Other Co'), at) // same length: another vendor's Manufacturer
      const files: Record<string, Uint8Array> = { '1.2.3.21': theirs, '1.2.3.22': ours.subarray(0, 300) }
      const listing = Object.keys(files).map((sop) => ({
        '00080018': { vr: 'UI', Value: [sop] },
        '0020000E': { vr: 'UI', Value: ['1.2.3.5'] },
        '00080060': { vr: 'CS', Value: ['SR'] },
      }))
      const transport = {
        searchInstances: async () => listing,
        retrieveInstance: async (_s: string, _r: string, sop: string) => files[sop],
      }
      const summary = await afterStudyPulled('1.2.3.4', transport, store, { dataDir: join(dir.path, 'b') })
      expect(summary).toMatchObject({ found: 0, imported: 0, boxes: 0, readersAdded: [] })
      expect(summary.skipped).toEqual([expect.stringMatching(/^SR 2 of the study: not a readable DICOM file/)])
      expect(store.audit.entries(null).filter((e) => e.action === 'pacs.sr.import')).toEqual([])
    } finally {
      store.close()
    }
  })
})

describe('Patient and Study modules from DICOM JSON', () => {
  it('copies them as the PACS gives them, Type 2 attributes empty when absent', () => {
    const elements = patientStudyModules({
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎' }] },
      '00100020': { vr: 'LO', Value: ['MRN1'] },
      '00080050': { vr: 'SH' },
    })
    const byTag = Object.fromEntries(elements.map((e) => [e.tag.toString(16).padStart(8, '0'), e.value]))
    expect(byTag['00100010']).toBe('Yamada^Tarou=山田^太郎')
    expect(byTag['00100020']).toBe('MRN1')
    expect(byTag['00080050']).toBe('')
    expect(byTag['00080020']).toBe('')
    expect('00081030' in byTag).toBe(false) // optional, absent: left out
  })

  it('refuses a value too long to copy, naming the attribute, never quoting it', () => {
    const long = 'QZSECRET'.repeat(9)
    expect(() => patientStudyModules({ '00100020': { vr: 'LO', Value: [long] } })).toThrow(
      /^The PACS's \(0010,0020\) LO value is too long to copy$/,
    )
  })
})
