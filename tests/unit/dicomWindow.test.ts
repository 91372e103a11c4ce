/**
 * A DICOM file's WindowCenter/WindowWidth reaches the viewer in the derived PNG's stored values:
 * import maps it as it maps the pixels (toPng16), the case record keeps it, CaseDetail carries it,
 * and the viewer's readout shows it back.
 */
import { describe, expect, it } from 'vitest'
import { caseDetail } from '../../src/main/api/caseDetail'
import type { DecodedDicom } from '../../src/main/dicom/dicomDecode'
import { toPng16 } from '../../src/main/dicom/png16'
import { CaseStore } from '../../src/main/store/caseStore'
import { openDatabase } from '../../src/main/store/database'
import { formatWindowLevel, pixelMaxOf, storedWindowLevel } from '../../src/renderer/src/canvas/windowLevel'

const AT = '2026-01-01T00:00:00.000Z'

function decoded(min: number, max: number, window: DecodedDicom['window']): DecodedDicom {
  const pixels = Float32Array.from({ length: 16 }, (_, i) => min + ((max - min) * i) / 15)
  return {
    width: 4,
    height: 4,
    pixels,
    min,
    max,
    window,
    pixelSpacing: null,
    viewPosition: null,
    bitsStored: 12,
    transferSyntax: '1.2.840.10008.1.2.1',
    burnedInAnnotation: false,
    sex: null,
    age: null,
    notes: [],
  } as unknown as DecodedDicom
}

describe('the DICOM window in stored values', () => {
  it('maps WindowCenter/WindowWidth as the pixels are mapped, and the readout shows it', async () => {
    // A 12-bit image spanning 400..3600 with the file's window C 1200 W 2400: 65535/3200 stored
    // values per modality unit (20.4796875), so C (1200 − 400) × 20.4796875 = 16383.75, W 2400 × it = 49151.25.
    const { window } = await toPng16(decoded(400, 3600, { center: 1200, width: 2400 }))
    expect(window!.center).toBeCloseTo(16383.75, 6)
    expect(window!.width).toBeCloseTo(49151.25, 6)
    const wl = storedWindowLevel({ windowCenter: window!.center, windowWidth: window!.width }, pixelMaxOf(16))!
    expect(formatWindowLevel(wl, 65535)).toBe('W 49151 L 16384')
  })

  it('CaseDetail carries the stored window of a DICOM case, and null for a PNG case', () => {
    const store = new CaseStore(openDatabase(':memory:'))
    const base = {
      patientId: null,
      format: 'png',
      width: 4,
      height: 4,
      channels: 1,
      view: null,
      age: null,
      sex: null,
      followUp: null,
      originalWidth: null,
      originalHeight: null,
      pixelSpacingX: null,
      pixelSpacingY: null,
      importedAt: AT,
    }
    const dicom = store.cases.insert({
      ...base,
      imageName: 'img-1.dcm',
      path: '/x/1.png',
      sha256: '1'.repeat(64),
      bitDepth: 16,
      sourceFormat: 'dicom',
      windowCenter: 20479.6875,
      windowWidth: 32767.5,
    })
    const png = store.cases.insert({ ...base, imageName: 'a.png', path: '/x/a.png', sha256: '2'.repeat(64), bitDepth: 8 })
    expect(caseDetail(store, store.cases.get(dicom)!)).toMatchObject({ bitDepth: 16, windowCenter: 20479.6875, windowWidth: 32767.5 })
    expect(caseDetail(store, store.cases.get(png)!)).toMatchObject({ bitDepth: 8, windowCenter: null, windowWidth: null })
  })
})
