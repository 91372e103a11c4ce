import { describe, expect, it } from 'vitest'
import { legendGradient, legendText } from '../../src/renderer/src/canvas/heatmapLegend'
import { displayScaleFor, normalizationFor, normalizeSigned, renderHeatmap } from '../../src/renderer/src/canvas/heatmapPixels'
import { EXPLAIN_METHODS, methodChoiceLabel } from '../../src/shared/explainMethods'

/** RGBA of cell (x, y) of a rendered map. */
const pixel = (r: { width: number; rgba: Uint8ClampedArray }, x: number, y: number) =>
  Array.from(r.rgba.subarray((y * r.width + x) * 4, (y * r.width + x) * 4 + 4))

describe('signed maps on a diverging scale around zero', () => {
  // 2×2 Kernel SHAP map: against, nothing, for, half for
  const map = { method: 'kernelshap', finding: 'Mass', width: 2, height: 2, values: [-0.02, 0, 0.02, 0.01] }

  it('draws negative blue, positive red, zero transparent, whatever colormap the CAMs use', () => {
    const r = renderHeatmap(map, 'jet', 2)
    expect(r.width).toBe(2)
    const [neg, zero, pos, half] = [pixel(r, 0, 0), pixel(r, 1, 0), pixel(r, 0, 1), pixel(r, 1, 1)]
    expect(neg[2]).toBeGreaterThan(neg[0]!) // blue
    expect(pos[0]).toBeGreaterThan(pos[2]!) // red
    expect(zero[3]).toBe(0) // no effect does not tint the image
    expect(neg[3]).toBe(255)
    expect(pos[3]).toBe(255)
    expect(half[0]).toBeGreaterThan(pos[0]! - 1) // paler red, towards the near-white middle
    expect(half[1]).toBeGreaterThan(pos[1]!)
    expect(renderHeatmap(map, 'viridis', 2).rgba).toEqual(r.rgba)
  })

  it('keeps zero at zero (no min–max shift) and scales by max |v|', () => {
    expect(Array.from(normalizeSigned([-0.5, 0, 0.25, Number.NaN]))).toEqual([-1, 0, 0.5, 0])
    expect(Array.from(normalizeSigned([0, 0]))).toEqual([0, 0])
  })

  it('gives the legend the units and the scale ends in them', () => {
    expect(legendText(map)).toEqual({
      caption: 'Kernel SHAP · Mass · 2×2 · Δ probability, diverging around 0',
      low: '−0.020',
      mid: '0',
      high: '+0.020',
    })
    expect(legendText({ ...map, method: 'layershap', values: [-3, 1, 0, 0] }).caption).toMatch(/Layer SHAP .* Δ logit, diverging around 0/)
    expect(legendGradient('kernelshap', 'jet')).toMatch(/^rgb\(33, 102, 172\) 0%.*rgb\(247, 247, 247\) 50%.*rgb\(178, 24, 43\) 100%$/)
  })

  it('scores (thresholds) a signed map by its positive part, as the evaluation does', () => {
    expect(normalizationFor('occlusion')).toBe('positive')
    expect(displayScaleFor('occlusion')).toBe('diverging')
    expect(normalizationFor('scorecam')).toBe('minmax')
    expect(displayScaleFor('gradcam')).toBe('minmax')
  })
})

describe('class-agnostic methods', () => {
  it('are labelled so in method lists and in the legend, which then names no finding', () => {
    const agnostic = EXPLAIN_METHODS.filter((m) => methodChoiceLabel(m).endsWith('(class-agnostic)'))
    expect(agnostic).toEqual(['eigencam'])
    const text = legendText({ method: 'eigencam', finding: 'Mass', width: 8, height: 8, values: [0, 1] })
    expect(text.caption).toBe('Eigen-CAM · class-agnostic: the same map for every finding · 8×8 · relative (min–max)')
    expect(text.caption).not.toMatch(/Mass/)
    expect(legendText({ method: 'gradcam', finding: 'Mass', width: 8, height: 8, values: [0, 1] }).caption).toBe(
      'Grad-CAM · Mass · 8×8 · relative (min–max)',
    )
  })

  it('a CAM map is min–max coloured through the chosen colormap, opaque', () => {
    const r = renderHeatmap({ method: 'scorecam', width: 2, height: 1, values: [0, 5] }, 'jet', 2)
    expect(pixel(r, 0, 0)).toEqual([0, 0, 128, 255])
    expect(pixel(r, 1, 0)).toEqual([128, 0, 0, 255])
  })
})
