import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { codeAge, codeNumber, codeSex, codeView } from '../../src/main/cases/codedAttributes'
import { importNih } from '../../src/main/cases/nihImporter'
import { readNihLabels } from '../../src/main/cases/nihCsv'
import { decodeDicom } from '../../src/main/dicom/dicomDecode'
import { importDicom } from '../../src/main/dicom/dicomImporter'
import { CaseStore } from '../../src/main/store/caseStore'
import { writeDicom, type DicomSpec } from './dicomWriter'
import { HAS_NIH, imageFolder, NIH_256, tempDir } from './helpers'

const dir = tempDir()
afterAll(dir.cleanup)

const pixels = new Uint8Array(64 * 64).map((_, i) => i % 251)
const dicom = (extra: Partial<DicomSpec> = {}) =>
  writeDicom({ rows: 64, columns: 64, photometric: 'MONOCHROME2', bitsAllocated: 8, bitsStored: 8, pixels, ...extra })
// Free text where a code belongs: what a hand-edited or hostile file carries, possibly a name.
const FREE_SEX = 'SMITH^JOHN MRN 7731'
const FREE_VIEW = 'LATERAL per Dr Who'

describe('code sets', () => {
  it('maps PatientSex to M/F/O and ViewPosition to the DICOM defined terms; anything else is unknown', () => {
    expect(['M', 'f', ' O ', '', null].map((v) => codeSex(v))).toEqual([
      { value: 'M', invalid: false },
      { value: 'F', invalid: false },
      { value: 'O', invalid: false },
      { value: null, invalid: false },
      { value: null, invalid: false },
    ])
    for (const bad of ['U', 'Male', 'MF', FREE_SEX]) expect(codeSex(bad)).toEqual({ value: null, invalid: true })
    for (const term of ['AP', 'PA', 'LL', 'RL', 'RLD', 'LLD', 'RLO', 'LLO', 'pa'])
      expect(codeView(term)).toEqual({ value: term.toUpperCase(), invalid: false })
    for (const bad of ['LAT', 'LATERAL', 'AP PA', FREE_VIEW]) expect(codeView(bad)).toEqual({ value: null, invalid: true })
  })

  it('reads ages in DICOM AS and NIH forms as whole years; impossible ages are unknown', () => {
    const years = (text: string) => codeAge(text).value
    expect(['058Y', '58Y', '58', '150', '003M', '011M', '012M', '006W', '364D', '000D'].map(years)).toEqual([
      58, 58, 58, 150, 0, 0, 1, 0, 0, 0,
    ])
    for (const bad of ['-5', '-5e400', '5e1', '151', '414', '999Y', '58.5', '58 Y', 'Y', 'NaN', 'Infinity', '0x10', '1970']) {
      expect(codeAge(bad), bad).toEqual({ value: null, invalid: true })
    }
  })

  it('accepts plain decimals in range only', () => {
    expect(codeNumber('0.143', 1e-6, 100).value).toBe(0.143)
    expect(codeNumber('2500', 1, 65535, true).value).toBe(2500)
    for (const bad of ['1e308', 'NaN', '-1', '2500.5', '0x10', '7 px', '99999999'])
      expect(codeNumber(bad, 1, 65535, true).invalid, bad).toBe(true)
  })
})

describe('DICOM coded attributes and rescale', () => {
  it('stores free text in PatientSex, ViewPosition or PatientAge as unknown, noting the attribute and never the text', async () => {
    const image = await decodeDicom(
      dicom({
        extra: [
          { tag: 0x00100040, vr: 'LO', value: FREE_SEX },
          { tag: 0x00185101, vr: 'LO', value: FREE_VIEW },
          { tag: 0x00101010, vr: 'LO', value: '-5e400' },
        ],
      }),
      'odd.dcm',
    )
    expect(image).toMatchObject({ sex: null, viewPosition: null, age: null })
    expect(image.notes).toEqual([
      'ViewPosition is not a DICOM defined term (AP, PA, LL, RL, RLD, LLD, RLO, LLO); stored as unknown',
      'PatientSex is not M, F or O; stored as unknown',
      'PatientAge is not an age string (nnnD, nnnW, nnnM or nnnY) of at most 150 years; stored as unknown',
    ])
    const good = await decodeDicom(dicom({ viewPosition: 'll', extra: [{ tag: 0x00101010, vr: 'AS', value: '018M' }] }), 'good.dcm')
    expect(good).toMatchObject({ sex: 'F', viewPosition: 'LL', age: 1, notes: [] })
  })

  it('refuses non-finite, zero or absurd RescaleSlope/Intercept by file name', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['slope', 'NaN', /^s\.dcm: RescaleSlope is not a finite decimal number$/],
      ['slope', 'Infinity', /^s\.dcm: RescaleSlope is not a finite decimal number$/],
      ['slope', '1e308', /^s\.dcm: RescaleSlope 1e\+308 is outside ±\[0\.000001, 1000000\]$/],
      ['slope', '0', /^s\.dcm: RescaleSlope 0 is outside .*\(a zero slope makes every pixel one value\)$/],
      ['slope', '1\\2', /^s\.dcm: RescaleSlope is not a finite decimal number$/],
      ['intercept', '-1e300', /^s\.dcm: RescaleIntercept -1e\+300 is beyond ±1000000000$/],
      ['intercept', '1e9', /^s\.dcm: RescaleIntercept 1000000000 is too large for RescaleSlope 0\.001/],
    ]
    for (const [which, value, message] of cases) {
      const override = [
        { tag: which === 'slope' ? 0x00281053 : 0x00281052, vr: 'DS' as const, value },
        ...(which === 'intercept' && value === '1e9' ? [{ tag: 0x00281053, vr: 'DS' as const, value: '0.001' }] : []),
      ]
      await expect(decodeDicom(dicom({ extra: override }), 's.dcm'), `${which} ${value}`).rejects.toThrow(message)
    }
    // An ordinary CT-style rescale still decodes, values mapped.
    const ct = await decodeDicom(dicom({ slope: 0.5, intercept: -1024 }), 'ct.dcm')
    expect(ct.min).toBe(-1024)
    expect(ct.max).toBe(250 * 0.5 - 1024)
  })

  it('an import warns per file and attribute, and the free text reaches neither the database nor the warnings', async () => {
    const folder = join(dir.path, 'dicom')
    mkdirSync(folder, { recursive: true })
    writeFileSync(
      join(folder, 'odd.dcm'),
      dicom({
        sopInstanceUid: '1.2.3.9',
        extra: [
          { tag: 0x00100040, vr: 'LO', value: FREE_SEX },
          { tag: 0x00185101, vr: 'LO', value: FREE_VIEW },
        ],
      }),
    )
    writeFileSync(join(folder, 'nan.dcm'), dicom({ sopInstanceUid: '1.2.3.10', slope: Number.NaN }))
    const dataDir = join(dir.path, 'data')
    const store = CaseStore.open(join(dataDir, 'cxr-lens.sqlite'))
    const summary = await importDicom(store, { dicomDir: folder, dataDir })
    expect(summary.imported).toBe(1)
    expect(summary.failed).toEqual([{ name: 'nan.dcm', reason: 'RescaleSlope is not a finite decimal number' }])
    expect(summary.warnings).toEqual([
      'odd.dcm: ViewPosition is not a DICOM defined term (AP, PA, LL, RL, RLD, LLD, RLO, LLO); stored as unknown',
      'odd.dcm: PatientSex is not M, F or O; stored as unknown',
    ])
    const [row] = store.worklist.query({}).rows
    expect(store.cases.get(row.id)).toMatchObject({ sex: null, view: null })
    store.db.pragma('wal_checkpoint(TRUNCATE)')
    store.close()
    for (const file of readdirSync(dataDir).filter((f) => f.startsWith('cxr-lens.sqlite'))) {
      const raw = readFileSync(join(dataDir, file)).toString('latin1')
      for (const secret of ['SMITH', 'Dr Who']) expect(raw.includes(secret), `${secret} in ${file}`).toBe(false)
    }
  })
})

describe('NIH CSV coded attributes', () => {
  const header =
    'Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]\n'

  it('stores impossible ages, free-text sex and view, and absurd numbers as unknown, with a warning by file, line and column', () => {
    const path = join(dir.path, 'odd.csv')
    writeFileSync(
      path,
      `${header}a.png,Mass,0,1,-5e400,${FREE_SEX},${FREE_VIEW},1e308,NaN,0.143,-1\nb.png,Mass,1,2,414,m,pa,2500,2048,0.143,0.143\n`,
    )
    const { rows, warnings } = readNihLabels(path)
    expect(rows[0]).toMatchObject({
      age: null,
      sex: null,
      view: null,
      originalWidth: null,
      originalHeight: null,
      pixelSpacingX: 0.143,
      pixelSpacingY: null,
    })
    expect(rows[1]).toMatchObject({ age: null, sex: 'M', view: 'PA', originalWidth: 2500 })
    expect(warnings!.get('a.png')).toEqual([
      'odd.csv:2: Patient Age is not a possible age (years, at most 150); stored as unknown',
      'odd.csv:2: Patient Gender is not M, F or O; stored as unknown',
      'odd.csv:2: View Position is not a DICOM view position (AP, PA, LL, RL, RLD, LLD, RLO, LLO); stored as unknown',
      'odd.csv:2: OriginalImage[Width is not a width in pixels; stored as unknown',
      'odd.csv:2: Height] is not a height in pixels; stored as unknown',
      'odd.csv:2: y] is not a pixel spacing in mm; stored as unknown',
    ])
    expect(warnings!.get('b.png')).toEqual(['odd.csv:3: Patient Age is not a possible age (years, at most 150); stored as unknown'])
  })

  it.runIf(HAS_NIH)('an NIH import stores the free text nowhere and warns only for the images it imported', async () => {
    const names = readdirSync(NIH_256).sort().slice(0, 2)
    const csv = join(dir.path, 'import.csv')
    writeFileSync(
      csv,
      `${header}${names[0]},Mass,0,1,-5e400,${FREE_SEX},${FREE_VIEW},2500,2048,0.143,0.143\nnot_there.png,Mass,0,1,999,x,y,1,1,1,1\n`,
    )
    const store = CaseStore.open(join(dir.path, 'nih', 'cxr-lens.sqlite'))
    const summary = await importNih(store, { imagesDir: imageFolder(join(dir.path, 'nih'), NIH_256, names), labelsCsv: csv })
    expect(summary.imported).toBe(2)
    expect(summary.warnings).toEqual([
      'import.csv:2: Patient Age is not a possible age (years, at most 150); stored as unknown',
      'import.csv:2: Patient Gender is not M, F or O; stored as unknown',
      'import.csv:2: View Position is not a DICOM view position (AP, PA, LL, RL, RLD, LLD, RLO, LLO); stored as unknown',
    ])
    const [record] = store.cases.findByImageName(names[0])
    expect(record).toMatchObject({ age: null, sex: null, view: null })
    store.db.pragma('wal_checkpoint(TRUNCATE)')
    const raw = readFileSync(join(dir.path, 'nih', 'cxr-lens.sqlite')).toString('latin1')
    for (const secret of ['SMITH', 'Dr Who']) expect(raw.includes(secret), secret).toBe(false)
    store.close()
  })
})
