import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeDicom } from '../../src/main/dicom/dicomDecode'
import { importDicom } from '../../src/main/dicom/dicomImporter'
import { CaseStore } from '../../src/main/store/caseStore'
import { writeDicom } from './dicomWriter'
import { HAS_NIH, NIH_256, tempDir } from './helpers'

const dir = tempDir()
afterAll(dir.cleanup)
let png: Uint8Array // 256×256 8-bit pixels of a real NIH image

beforeAll(async () => {
  if (HAS_NIH) png = new Uint8Array(await sharp(join(NIH_256, '00000032_037.png')).greyscale().raw().toBuffer())
})

/** Decoded values must be the PNG's pixels up to one linear map (slope a > 0, offset b). */
function expectLinear(decoded: Float32Array, source: Uint8Array, slope: number) {
  const offset = decoded[0] - slope * source[0]
  for (let i = 0; i < source.length; i += 97) expect(decoded[i]).toBeCloseTo(slope * source[i] + offset, 3)
}

describe.runIf(HAS_NIH)('DICOM decoding from NIH pixels', () => {
  it('reads 8-bit MONOCHROME2 exactly', async () => {
    const file = writeDicom({ rows: 256, columns: 256, photometric: 'MONOCHROME2', bitsAllocated: 8, bitsStored: 8, pixels: png })
    const image = await decodeDicom(file, 'mono2.dcm')
    expect(image).toMatchObject({
      width: 256,
      height: 256,
      bitsStored: 8,
      viewPosition: 'PA',
      sex: 'F',
      age: 58,
      pixelSpacing: [0.143, 0.143],
    })
    expect(Array.from(image.pixels.subarray(0, 500))).toEqual(Array.from(png.subarray(0, 500)))
  })

  it('masks 12 stored bits (garbage above them), inverts MONOCHROME1 and maps its window', async () => {
    // dense = dark in MONOCHROME1; bit 15 set as an overlay bit would be
    const pixels = Array.from(png, (p) => ((255 - p) * 16) | 0x8000)
    const file = writeDicom({
      rows: 256,
      columns: 256,
      photometric: 'MONOCHROME1',
      bitsAllocated: 16,
      bitsStored: 12,
      pixels,
      window: [2000, 3000],
    })
    const image = await decodeDicom(file, 'mono1.dcm')
    expectLinear(image.pixels, png, 16)
    expect(image.window!.center).toBeCloseTo(image.max + image.min - 2000, 6)
  })

  it('sign-extends signed pixels and applies RescaleSlope/Intercept', async () => {
    const pixels = Array.from(png, (p) => p * 4 - 500)
    const file = writeDicom({
      rows: 256,
      columns: 256,
      photometric: 'MONOCHROME2',
      bitsAllocated: 16,
      bitsStored: 16,
      signed: true,
      slope: 2,
      intercept: -1000,
      pixels,
    })
    const image = await decodeDicom(file, 'signed.dcm')
    expect(image.min).toBe(Math.min(...png) * 8 - 2000)
    expectLinear(image.pixels, png, 8)
  })

  it('names the file and the transfer syntax it cannot decode, and a truncated file', async () => {
    const baseline = writeDicom({
      rows: 4,
      columns: 4,
      photometric: 'MONOCHROME2',
      bitsAllocated: 8,
      bitsStored: 8,
      pixels: [],
      transferSyntax: '1.2.840.10008.1.2.4.50',
      encapsulated: Uint8Array.of(1, 2, 3, 4),
    })
    await expect(decodeDicom(baseline, 'ct.dcm')).rejects.toThrow(
      'ct.dcm: unsupported transfer syntax 1.2.840.10008.1.2.4.50 (JPEG Baseline (Process 1))',
    )
    const full = writeDicom({ rows: 256, columns: 256, photometric: 'MONOCHROME2', bitsAllocated: 8, bitsStored: 8, pixels: png })
    await expect(decodeDicom(full.subarray(0, full.length - 5000), 'cut.dcm')).rejects.toThrow(
      /^cut.dcm: not a readable DICOM file \((?!\[object)/,
    )
  })
})

describe.runIf(HAS_NIH)('DICOM import with de-identification', () => {
  it('imports a folder, stores no identifying attribute, keeps pseudonyms stable and reports bad files', async () => {
    const folder = join(dir.path, 'dicom', 'DOE^JANE')
    mkdirSync(folder, { recursive: true })
    writeFileSync(
      join(folder, 'a.dcm'),
      writeDicom({
        rows: 256,
        columns: 256,
        photometric: 'MONOCHROME2',
        bitsAllocated: 8,
        bitsStored: 8,
        pixels: png,
        sopInstanceUid: '1.2.3.1',
      }),
    )
    writeFileSync(
      join(folder, 'b.dcm'),
      writeDicom({
        rows: 256,
        columns: 256,
        photometric: 'MONOCHROME1',
        bitsAllocated: 16,
        bitsStored: 12,
        pixels: Array.from(png, (p) => (255 - p) * 16),
        sopInstanceUid: '1.2.3.2',
        burnedIn: true,
        window: [2000, 3000],
      }),
    )
    writeFileSync(join(folder, 'notes.txt'), 'not an image')
    const dataDir = join(dir.path, 'data')
    const store = CaseStore.open(join(dataDir, 'cxr-lens.sqlite'))
    const summary = await importDicom(store, { dicomDir: join(dir.path, 'dicom'), dataDir })
    expect(summary.imported).toBe(2)
    expect(summary.failed.map((f) => f.name)).toEqual([join('DOE^JANE', 'notes.txt')])
    expect(summary.warnings.join()).toMatch(/BurnedInAnnotation is YES/)
    const rows = store.worklist.query({}).rows
    expect(rows.every((r) => /^img-[0-9a-f]{16}\.dcm$/.test(r.image))).toBe(true)
    expect(new Set(rows.map((r) => r.patient)).size).toBe(1) // same patient, same pseudonym
    expect(rows[0].patient).toMatch(/^anon-[0-9a-f]{16}$/)
    const records = rows.map((r) => store.cases.get(r.id)!)
    for (const record of records) expect(record).toMatchObject({ format: 'png', bitDepth: 16, sourceFormat: 'dicom', sex: 'F', age: 58 })
    // The derived 16-bit PNG of file a holds the same picture, scaled from [min, max] to [0, 65535].
    const a = records.find((r) => r.windowCenter === null)!
    const buffer = await sharp(a.path).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer()
    const stored = new Uint16Array(buffer.buffer, buffer.byteOffset, buffer.length / 2)
    const lo = Math.min(...png)
    const hi = Math.max(...png)
    for (let i = 0; i < png.length; i += 101) expect(Math.abs(stored[i] - ((png[i] - lo) * 65535) / (hi - lo))).toBeLessThanOrEqual(0.5)
    expect(records.find((r) => r.windowCenter !== null)!.windowWidth).toBeCloseTo((3000 * 65535) / ((hi - lo) * 16), 3)
    store.db.pragma('wal_checkpoint(TRUNCATE)')
    const raw = readFileSync(join(dataDir, 'cxr-lens.sqlite')).toString('latin1')
    for (const secret of ['DOE^JANE', 'MRN-0042', '19600102', '1.2.3.1']) expect(raw.includes(secret), secret).toBe(false)
    const again = await importDicom(store, { dicomDir: join(dir.path, 'dicom'), dataDir })
    expect(again).toMatchObject({ imported: 0, duplicates: 2 })
    store.close()
  })
})
