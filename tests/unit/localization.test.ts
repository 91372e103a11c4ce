import { describe, expect, it } from 'vitest'
import { componentBoxes, iobb, iou, otsuThreshold, rectMask, scoreFixedBox, scoreHeatmap } from '../../src/shared/localization'

describe('localization measures', () => {
  it('separates two intensity populations with Otsu', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => (i < 700 ? 0.1 + (i % 7) * 0.01 : 0.8 + (i % 5) * 0.01))
    const t = otsuThreshold(values)
    expect(values.slice(0, 700).every((v) => v < t)).toBe(true)
    expect(values.slice(700).every((v) => v >= t)).toBe(true)
  })

  it('finds 8-connected components and their boxes', () => {
    // two blobs; the diagonal pixel joins the first blob through a corner
    const mask = Uint8Array.from([1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1])
    expect(componentBoxes(mask, 5, 4)).toEqual([
      { x: 0, y: 0, w: 3, h: 3 },
      { x: 4, y: 2, w: 1, h: 2 },
    ])
  })

  it('computes IoU and IoBB (intersection over the predicted box)', () => {
    const truth = { x: 0, y: 0, w: 10, h: 10 }
    const inside = { x: 2, y: 2, w: 4, h: 4 }
    expect(iou(inside, truth)).toBeCloseTo(16 / 100, 12)
    expect(iobb(inside, truth)).toBe(1) // a small box inside the truth is a full hit under IoBB
    expect(iobb({ x: 5, y: 5, w: 10, h: 10 }, truth)).toBeCloseTo(25 / 100, 12)
  })

  it('scores a heatmap: boxes from the thresholded mask, mask IoU and the pointing game', () => {
    const width = 8,
      height = 8
    const values = new Float32Array(64)
    for (let y = 2; y < 5; y++) for (let x = 2; x < 5; x++) values[y * width + x] = 0.9
    values[3 * width + 3] = 1
    const truth = [{ x: 2, y: 2, w: 3, h: 3 }]
    const score = scoreHeatmap(values, width, height, truth, 0.5)
    expect(score.predictedBoxes).toEqual([{ x: 2, y: 2, w: 3, h: 3 }])
    expect(score.bestIobb).toEqual([1])
    expect(score.maskIou).toBe(1)
    expect(score.hit).toBe(true)
    const miss = scoreHeatmap(values, width, height, [{ x: 6, y: 6, w: 2, h: 2 }], 0.5)
    expect(miss).toMatchObject({ bestIobb: [0], maskIou: 0, hit: false })
  })

  it('scores a fixed prior box the same way', () => {
    const s = scoreFixedBox({ x: 0, y: 0, w: 4, h: 4 }, 8, 8, [{ x: 2, y: 2, w: 4, h: 4 }])
    expect(s.bestIobb[0]).toBeCloseTo(4 / 16, 12)
    expect(s.hit).toBe(true) // centre (2, 2) on the truth's corner
    expect(s.maskIou).toBeCloseTo(4 / 28, 12)
    expect(rectMask([{ x: 0.6, y: 0, w: 1, h: 1 }], 4, 1)).toEqual(Uint8Array.from([0, 1, 0, 0]))
  })
})
