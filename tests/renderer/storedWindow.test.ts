import { describe, expect, it } from 'vitest'
import { dragWindowLevel, formatWindowLevel, pixelMaxOf, storedWindowLevel } from '../../src/renderer/src/canvas/windowLevel'

describe('a window given in stored pixel values (a DICOM file’s own)', () => {
  it('becomes the viewer’s 0..1 window and reads back as the same stored values', () => {
    const max = pixelMaxOf(16)
    const wl = storedWindowLevel({ windowCenter: 20000, windowWidth: 30000 }, max)
    expect(wl!.window).toBeCloseTo(30000 / 65535, 12)
    expect(wl!.level).toBeCloseTo(20000 / 65535, 12)
    expect(formatWindowLevel(wl!, max)).toBe('W 30000 L 20000')
    // 8-bit images read in 0–255
    expect(formatWindowLevel(storedWindowLevel({ windowCenter: 100, windowWidth: 60 }, pixelMaxOf(8))!, 255)).toBe('W 60 L 100')
  })

  it('is held to the bounds a right-drag keeps to', () => {
    const max = 65535
    expect(storedWindowLevel({ windowCenter: -5000, windowWidth: 10 }, max)).toEqual({ window: 0.02, level: 0 })
    expect(storedWindowLevel({ windowCenter: 1e6, windowWidth: 1e6 }, max)).toEqual({ window: 2, level: 1 })
    const inside = storedWindowLevel({ windowCenter: 32768, windowWidth: 40000 }, max)!
    expect(dragWindowLevel({ ...inside, invert: false }, 0, 0)).toEqual({ ...inside, invert: false })
  })

  it('is no window when the file named none or a nonsensical one', () => {
    for (const w of [
      { windowCenter: null, windowWidth: null },
      { windowCenter: 100, windowWidth: null },
      { windowCenter: 100, windowWidth: 0 },
      { windowCenter: 100, windowWidth: -4 },
      { windowCenter: Number.NaN, windowWidth: 10 },
      { windowCenter: 100, windowWidth: Number.POSITIVE_INFINITY },
    ])
      expect(storedWindowLevel(w, 65535)).toBeNull()
  })
})
