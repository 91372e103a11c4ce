import { describe, expect, it } from 'vitest'
import { boxToRect } from '../../src/renderer/src/canvas/boxGeometry'
import {
  boxToDraft,
  clampDraft,
  cornersToDraft,
  draftToShape,
  MIN_BOX_PX,
  sameGeometry,
  shapeToDraft,
} from '../../src/renderer/src/canvas/boxShapes'
import { findingColor } from '../../src/renderer/src/canvas/findingColors'

const image = { width: 1024, height: 768 }

describe('box geometry between canvas shapes and stored drafts', () => {
  it('clips a draft to the image like the server does', () => {
    expect(clampDraft({ finding: 'Mass', x: -10, y: 700, w: 50, h: 100 }, image)).toEqual({ finding: 'Mass', x: 0, y: 700, w: 40, h: 68 })
    expect(clampDraft({ finding: 'Mass', x: 1.23456, y: 2, w: 3.98765, h: 4 }, image)).toEqual({
      finding: 'Mass',
      x: 1.23,
      y: 2,
      w: 3.99,
      h: 4,
    })
  })

  it('folds a transformer scale into the size and normalises a flipped box', () => {
    expect(shapeToDraft({ x: 100, y: 100, width: 50, height: 40, scaleX: 2, scaleY: 0.5 }, 'Nodule', image)).toEqual({
      finding: 'Nodule',
      x: 100,
      y: 100,
      w: 100,
      h: 20,
    })
    expect(shapeToDraft({ x: 100, y: 100, width: 50, height: 40, scaleX: -1, scaleY: -1 }, 'Nodule', image)).toEqual({
      finding: 'Nodule',
      x: 50,
      y: 60,
      w: 50,
      h: 40,
    })
    expect(draftToShape({ finding: 'Nodule', x: 1, y: 2, w: 3, h: 4 })).toEqual({ x: 1, y: 2, width: 3, height: 4, scaleX: 1, scaleY: 1 })
  })

  it('turns a rubber band (corners in any order) into a draft, or nothing for a click', () => {
    expect(cornersToDraft({ x: 400, y: 350 }, { x: 200, y: 200 }, 'Mass', image)).toEqual({
      finding: 'Mass',
      x: 200,
      y: 200,
      w: 200,
      h: 150,
    })
    expect(cornersToDraft({ x: 10, y: 10 }, { x: 10 + MIN_BOX_PX - 1, y: 50 }, 'Mass', image)).toBeNull()
    // A band dragged past the image's edge keeps the part inside.
    expect(cornersToDraft({ x: 1000, y: 10 }, { x: 1100, y: 30 }, 'Mass', image)).toEqual({ finding: 'Mass', x: 1000, y: 10, w: 24, h: 20 })
  })

  it('compares geometry to a hundredth of a pixel, finding included', () => {
    const a = { finding: 'Mass', x: 1, y: 2, w: 3, h: 4 }
    expect(sameGeometry(a, { ...a, x: 1.005 })).toBe(true)
    expect(sameGeometry(a, { ...a, x: 1.02 })).toBe(false)
    expect(sameGeometry(a, { ...a, finding: 'Nodule' })).toBe(false)
    expect(boxToDraft({ ...a, id: 9, author: 'x' } as never)).toEqual(a)
  })

  it("draws a stored box in image pixels with its finding's colour", () => {
    const rect = boxToRect({ id: 3, finding: 'Effusion', x: 5, y: 6, w: 7, h: 8 } as never)
    expect(rect).toEqual({ id: 3, x: 5, y: 6, width: 7, height: 8, stroke: findingColor('Effusion'), label: 'Effusion' })
    expect(findingColor('Effusion')).not.toBe(findingColor('Mass'))
  })
})
