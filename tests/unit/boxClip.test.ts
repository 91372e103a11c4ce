import { describe, expect, it } from 'vitest'
import { clipBox, clipBoxToPixel } from '../../src/shared/boxClip'
import { clampDraft } from '../../src/renderer/src/canvas/boxShapes'

const W = 256
const H = 200

describe('one box-clip rule for renderer and server', () => {
  it('keeps a box inside the image unchanged', () => {
    expect(clipBox({ x: 10, y: 20, w: 30, h: 40 }, W, H)).toEqual({ x: 10, y: 20, w: 30, h: 40 })
    expect(clipBoxToPixel({ x: 10.5, y: 20.25, w: 30, h: 40 }, W, H)).toEqual({ x: 10.5, y: 20.25, w: 30, h: 40 })
  })

  it('cuts a negative origin off instead of shifting the box (the old server rule grew it)', () => {
    expect(clipBox({ x: -10, y: -5, w: 50, h: 25 }, W, H)).toEqual({ x: 0, y: 0, w: 40, h: 20 })
    expect(clipBoxToPixel({ x: -10, y: -5, w: 50, h: 25 }, W, H)).toEqual({ x: 0, y: 0, w: 40, h: 20 })
  })

  it('cuts what lies beyond the right and bottom edges', () => {
    expect(clipBox({ x: 250, y: 190, w: 30, h: 40 }, W, H)).toEqual({ x: 250, y: 190, w: 6, h: 10 })
  })

  it('a box wholly beyond the image is empty, or the one-pixel box at the edge for a stored reader box', () => {
    expect(clipBox({ x: 300, y: 10, w: 20, h: 20 }, W, H)).toEqual({ x: 256, y: 10, w: 0, h: 20 })
    expect(clipBox({ x: -50, y: -50, w: 20, h: 20 }, W, H)).toEqual({ x: 0, y: 0, w: 0, h: 0 })
    expect(clipBoxToPixel({ x: 300, y: 10, w: 20, h: 20 }, W, H)).toEqual({ x: 255, y: 10, w: 1, h: 20 })
    expect(clipBoxToPixel({ x: 10, y: 500, w: 20, h: 20 }, W, H)).toEqual({ x: 10, y: 199, w: 20, h: 1 })
    expect(clipBoxToPixel({ x: -50, y: -50, w: 20, h: 20 }, W, H)).toEqual({ x: 0, y: 0, w: 1, h: 1 })
  })

  it('a zero-size box stays zero when clipped, and becomes one pixel when stored', () => {
    expect(clipBox({ x: 10, y: 20, w: 0, h: 0 }, W, H)).toEqual({ x: 10, y: 20, w: 0, h: 0 })
    expect(clipBoxToPixel({ x: 10, y: 20, w: 0, h: 0 }, W, H)).toEqual({ x: 10, y: 20, w: 1, h: 1 })
    expect(clipBoxToPixel({ x: 256, y: 200, w: 0, h: 0 }, W, H)).toEqual({ x: 255, y: 199, w: 1, h: 1 })
  })

  it('the renderer draft is the server box, rounded to a hundredth', () => {
    for (const box of [
      { x: -10, y: 190, w: 50, h: 40 },
      { x: 300, y: -3, w: 9, h: 9 },
      { x: 12.345, y: 6.789, w: 0, h: 3.21 },
    ]) {
      const stored = clipBoxToPixel(box, W, H)
      const drawn = clampDraft({ finding: 'Mass', ...box }, { width: W, height: H })
      for (const key of ['x', 'y', 'w', 'h'] as const) expect(Math.abs(drawn[key] - stored[key])).toBeLessThan(0.006)
    }
  })
})

describe('clipping leaves a box inside the image bit for bit', () => {
  it('returns the very numbers given when nothing is cut (no (x + w) − x drift)', () => {
    const box = { x: 12.3, y: 0.7, w: 45.6, h: 3.1 }
    expect(12.3 + 45.6 - 12.3).not.toBe(45.6) // the drift a naive clip would store
    expect(0.7 + 3.1 - 0.7).not.toBe(3.1)
    expect(clipBox(box, W, H)).toEqual(box)
    expect(clipBoxToPixel(box, W, H)).toEqual(box)
  })
})
