import { describe, expect, it } from 'vitest'
import { fitTransform, MAX_SCALE, wheelZoomFactor, zoomAround } from '../../src/renderer/src/canvas/viewTransform'
import { DEFAULT_WL, dragWindowLevel, isIdentity, transfer, WL_PRESETS } from '../../src/renderer/src/canvas/windowLevel'

describe('window/level', () => {
  it('is the identity by default, and the default preset is it', () => {
    expect(isIdentity(DEFAULT_WL)).toBe(true)
    const { slope, intercept } = transfer(DEFAULT_WL)
    expect([slope, intercept + 0]).toEqual([1, 0])
    expect(isIdentity({ ...WL_PRESETS.default, invert: true })).toBe(false)
  })

  it('maps level − window/2 to black and level + window/2 to white; invert swaps them', () => {
    for (const wl of [
      { ...WL_PRESETS.lung, invert: false },
      { ...WL_PRESETS.bone, invert: false },
    ]) {
      const { slope, intercept } = transfer(wl)
      expect(slope * (wl.level - wl.window / 2) + intercept).toBeCloseTo(0, 12)
      expect(slope * (wl.level + wl.window / 2) + intercept).toBeCloseTo(1, 12)
      const inverted = transfer({ ...wl, invert: true })
      expect(inverted.slope * (wl.level - wl.window / 2) + inverted.intercept).toBeCloseTo(1, 12)
    }
  })

  it('right-drag: right widens the window, down lowers the level, both clamped, invert kept', () => {
    const start = { window: 1, level: 0.5, invert: true }
    const dragged = dragWindowLevel(start, 150, 60)
    expect(dragged.window).toBeCloseTo(Math.exp(0.5), 12)
    expect(dragged.level).toBeCloseTo(0.4, 12)
    expect(dragged.invert).toBe(true)
    expect(dragWindowLevel(start, -1e6, -1e6)).toEqual({ window: 0.02, level: 1, invert: true })
    expect(dragWindowLevel(start, 1e6, 1e6)).toEqual({ window: 2, level: 0, invert: true })
    expect(dragWindowLevel(start, 0, 0)).toEqual(start)
  })
})

describe('view transform', () => {
  it('fits the whole image centred with a small margin', () => {
    const view = fitTransform({ width: 1024, height: 1024 }, { width: 600, height: 900 })
    expect(view.scale).toBeCloseTo((600 / 1024) * 0.98, 12)
    expect(view.x).toBeCloseTo((600 - 1024 * view.scale) / 2, 9)
    expect(view.y).toBeCloseTo((900 - 1024 * view.scale) / 2, 9)
    expect(fitTransform({ width: 10, height: 10 }, { width: 0, height: 100 })).toEqual({ scale: 1, x: 0, y: 0 })
  })

  it('zooms around the pointer: the image point under it stays put; the scale is clamped', () => {
    const view = { scale: 0.5, x: 20, y: 30 }
    const pointer = { x: 200, y: 150 }
    const under = { x: (pointer.x - view.x) / view.scale, y: (pointer.y - view.y) / view.scale }
    const zoomed = zoomAround(view, pointer, 2, 0.1)
    expect(zoomed.scale).toBe(1)
    expect(under.x * zoomed.scale + zoomed.x).toBeCloseTo(pointer.x, 9)
    expect(under.y * zoomed.scale + zoomed.y).toBeCloseTo(pointer.y, 9)
    expect(zoomAround(view, pointer, 1e6, 0.1).scale).toBe(MAX_SCALE)
    expect(zoomAround(view, pointer, 1e-6, 0.1).scale).toBe(0.1)
  })

  it('turns wheel steps into symmetric zoom factors, limited per event', () => {
    expect(wheelZoomFactor(-100) * wheelZoomFactor(100)).toBeCloseTo(1, 12)
    expect(wheelZoomFactor(-100)).toBeGreaterThan(1)
    expect(wheelZoomFactor(-10_000)).toBe(wheelZoomFactor(-100))
  })
})
