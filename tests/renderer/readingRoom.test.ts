import { describe, expect, it } from 'vitest'
import { findingColor } from '../../src/renderer/src/canvas/findingColors'
import { finiteRange, floorValue, legendGradient, legendText } from '../../src/renderer/src/canvas/heatmapLegend'
import { rampAlpha, renderHeatmap } from '../../src/renderer/src/canvas/heatmapPixels'
import { layoutLabels, type ScreenRect } from '../../src/renderer/src/canvas/labelLayout'
import { formatWindowLevel, pixelMaxOf, WL_PRESETS } from '../../src/renderer/src/canvas/windowLevel'
import { chooseMapFinding, mapChoiceText } from '../../src/renderer/src/stores/mapChoice'
import { canManageModels } from '../../src/renderer/src/stores/readerStore'
import { createPaneLayoutStore, DEFAULT_LAYOUT, LAYOUT_STORAGE, parseLayout } from '../../src/renderer/src/stores/paneLayout'
import { fineTuneOutcome } from '../../src/renderer/src/components/fineTuneOutcome'
import { NIH_FINDINGS } from '../../src/shared/findings'

const overlaps = (a: ScreenRect, b: ScreenRect) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h

describe('box labels', () => {
  const view = { width: 400, height: 300 }
  it('sit above their box when there is room, inside it at the top edge, never outside the viewport', () => {
    const [above, top] = layoutLabels(
      [
        { box: { x: 50, y: 100, w: 80, h: 60 }, width: 70, height: 16 },
        { box: { x: 200, y: 0, w: 80, h: 60 }, width: 70, height: 16 },
      ],
      view,
    )
    expect(above).toEqual({ x: 50, y: 100 - 16 - 1, w: 70, h: 16 })
    expect(top).toEqual({ x: 200, y: 1, w: 70, h: 16 })
  })

  it('never overlap, even for boxes that share a corner (the NIH Cardiomegaly and Effusion case)', () => {
    const boxes = Array.from({ length: 6 }, () => ({ box: { x: 100, y: 80, w: 120, h: 90 }, width: 110, height: 16 }))
    const placed = layoutLabels(boxes, view)
    for (let i = 0; i < placed.length; i++) {
      for (let j = i + 1; j < placed.length; j++) expect(overlaps(placed[i]!, placed[j]!), `${i} vs ${j}`).toBe(false)
    }
    for (const r of placed) expect(r.x >= 0 && r.y >= 0 && r.x + r.w <= view.width && r.y + r.h <= view.height).toBe(true)
  })

  it('are clamped into the viewport for a box at or past its edge (a zoomed-in image)', () => {
    const [r] = layoutLabels([{ box: { x: 380, y: -50, w: 200, h: 100 }, width: 120, height: 16 }], view)
    expect(r!.x + r!.w).toBeLessThanOrEqual(view.width)
    expect(r!.x).toBeGreaterThanOrEqual(0)
    expect(r!.y).toBeGreaterThanOrEqual(0)
  })
})

describe('the map a case opens on', () => {
  const predictions = [{ finding: 'Effusion' }, { finding: 'Cardiomegaly' }, { finding: 'Nodule' }]
  it('is the worklist filter, else the finding of the boxes, else the top probability', () => {
    expect(chooseMapFinding(predictions, { filter: 'Cardiomegaly', boxFindings: ['Nodule'] })).toEqual({
      finding: 'Cardiomegaly',
      reason: 'filter',
    })
    expect(chooseMapFinding(predictions, { filter: null, boxFindings: ['Nodule', 'Cardiomegaly', 'Nodule'] })).toEqual({
      finding: 'Nodule',
      reason: 'boxes',
    })
    expect(chooseMapFinding(predictions, { filter: null, boxFindings: [] })).toEqual({ finding: 'Effusion', reason: 'top' })
    expect(chooseMapFinding([], { filter: 'Nodule' })).toBeNull()
  })
  it("skips what the model did not score, and keeps the reader's own choice first", () => {
    expect(chooseMapFinding(predictions, { filter: 'Hernia', boxFindings: ['Mass'] })).toEqual({ finding: 'Effusion', reason: 'top' })
    expect(chooseMapFinding(predictions, { chosen: 'Nodule', filter: 'Cardiomegaly' })).toEqual({ finding: 'Nodule', reason: 'reader' })
    expect(mapChoiceText({ finding: 'Cardiomegaly', reason: 'filter' })).toBe('Cardiomegaly — from the worklist filter')
  })
})

describe('the overlay', () => {
  it('is transparent below the floor and ramps to opaque above it; floor 0 keeps it opaque', () => {
    expect(rampAlpha(0.1, 0.3)).toBe(0)
    expect(rampAlpha(0.3, 0.3)).toBe(0)
    expect(rampAlpha(0.425, 0.3)).toBeCloseTo(0.5)
    expect(rampAlpha(0.9, 0.3)).toBe(1)
    expect(rampAlpha(0, 0)).toBe(1)
    const r = renderHeatmap({ method: 'gradcam', width: 3, height: 1, values: [0, 0.5, 1] }, 'hot', 3, undefined, 0.3)
    expect([r.rgba[3], r.rgba[7], r.rgba[11]]).toEqual([0, Math.round(0.8 * 255), 255])
  })

  it("has a colour bar with the same ramp and the map's value range and threshold in its units", () => {
    const gradient = legendGradient('gradcam', 'hot', 0.5)
    expect(gradient.startsWith('rgba(0, 0, 0, 0.00) 0%')).toBe(true)
    expect(gradient.endsWith('rgb(255, 255, 255) 100%')).toBe(true)
    const map = { method: 'gradcam', finding: 'Mass', width: 2, height: 1, values: [0.002, 3.5] }
    expect(legendText(map)).toMatchObject({ low: '2.0e-3', high: '3.50' })
    expect(finiteRange([Number.NaN, 2, -1])).toEqual([-1, 2])
    expect(floorValue([0, 2], 0.25)).toBe('0.500')
  })

  it('keeps the boxed findings apart for readers with a colour-vision deficiency (simulated, CIELAB ΔE)', () => {
    // Machado, Oliveira & Fernandes 2009, severity 1, applied to linear RGB
    const SIM: Record<string, number[][] | null> = {
      normal: null,
      deuteranopia: [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.01182, 0.04294, 0.968881],
      ],
      protanopia: [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
      ],
      tritanopia: [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.3039],
      ],
    }
    const linear = (h: string) =>
      [1, 3, 5].map((i) => {
        const c = parseInt(h.slice(i, i + 2), 16) / 255
        return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
      })
    const lab = ([r, g, b]: number[]) => {
      const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116)
      const [x, y, z] = [
        f((0.4124 * r! + 0.3576 * g! + 0.1805 * b!) / 0.95047),
        f(0.2126 * r! + 0.7152 * g! + 0.0722 * b!),
        f((0.0193 * r! + 0.1192 * g! + 0.9505 * b!) / 1.08883),
      ]
      return [116 * y - 16, 500 * (x - y), 200 * (y - z)]
    }
    const seen = (h: string, m: number[][] | null) =>
      lab(
        m
          ? m.map((row) => Math.min(1, Math.max(0, row[0]! * linear(h)[0]! + row[1]! * linear(h)[1]! + row[2]! * linear(h)[2]!)))
          : linear(h),
      )
    const dE = (a: string, b: string, m: number[][] | null) => Math.hypot(...seen(a, m).map((v, i) => v - seen(b, m)[i]!))
    const boxed = ['Atelectasis', 'Cardiomegaly', 'Effusion', 'Infiltration', 'Mass', 'Nodule', 'Pneumonia', 'Pneumothorax']
    for (const [vision, m] of Object.entries(SIM)) {
      for (let i = 0; i < boxed.length; i++) {
        for (let j = i + 1; j < boxed.length; j++) {
          const d = dE(findingColor(boxed[i]!), findingColor(boxed[j]!), m)
          expect(d, `${vision}: ${boxed[i]} vs ${boxed[j]}`).toBeGreaterThan(15)
        }
      }
      expect(dE(findingColor('Cardiomegaly'), findingColor('Effusion'), m), `${vision}: Cardiomegaly vs Effusion`).toBeGreaterThan(40)
    }
  })

  it('gives the boxed findings distinct Okabe–Ito colours: Cardiomegaly and Effusion are blue and orange', () => {
    const boxed = ['Atelectasis', 'Cardiomegaly', 'Effusion', 'Infiltration', 'Mass', 'Nodule', 'Pneumonia', 'Pneumothorax']
    expect(new Set(boxed.map(findingColor)).size).toBe(boxed.length)
    expect(new Set(NIH_FINDINGS.map(findingColor)).size).toBe(NIH_FINDINGS.length)
    expect(findingColor('Effusion')).toBe('#E69F00')
    const hex = (c: string) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16))
    const [r, , b] = hex(findingColor('Cardiomegaly'))
    expect(b).toBeGreaterThan(r!) // blue, not another orange
    expect(findingColor('Some new finding')).toBe(findingColor('Some new finding'))
  })
})

describe('window/level in stored values', () => {
  it('shows 0–255 for 8-bit images and 0–65535 for 16-bit ones', () => {
    expect(pixelMaxOf(8)).toBe(255)
    expect(pixelMaxOf(null)).toBe(255)
    expect(pixelMaxOf(16)).toBe(65535)
    expect(pixelMaxOf(99)).toBe(255)
    expect(formatWindowLevel(WL_PRESETS.bone, 255)).toBe('W 115 L 184')
    expect(formatWindowLevel(WL_PRESETS.default, 65535)).toBe('W 65535 L 32768')
  })
})

describe('pane layout', () => {
  function memoryStorage(): Storage {
    const data = new Map<string, string>()
    return {
      getItem: (k) => data.get(k) ?? null,
      setItem: (k, v) => void data.set(k, v),
      removeItem: (k) => void data.delete(k),
      clear: () => data.clear(),
      key: () => null,
      get length() {
        return data.size
      },
    }
  }
  it('is remembered across a reload, one section open at a time', () => {
    const storage = memoryStorage()
    const a = createPaneLayoutStore(storage)
    a.toggleWorklist()
    a.openSection('boxes')
    a.openSection('window')
    const b = createPaneLayoutStore(storage)
    expect(b.getState()).toEqual({ worklistOpen: false, panelOpen: true, section: 'window' })
    b.openSection('window', true)
    expect(b.getState().section).toBeNull()
  })
  it('falls back field by field for a stored value it does not understand', () => {
    expect(parseLayout('not json')).toEqual(DEFAULT_LAYOUT)
    expect(parseLayout(JSON.stringify({ worklistOpen: false, section: 'nope', panelOpen: 3 }))).toEqual({
      ...DEFAULT_LAYOUT,
      worklistOpen: false,
    })
    expect(LAYOUT_STORAGE).toBe('cxr-lens.layout')
  })
})

describe('fine-tuning outcome', () => {
  const result = (child: number | null, parent: number | null) => ({
    child: { id: 'm', version: '1.1.0' },
    parent: { id: 'm', version: '1.0.0' },
    valMacroAuroc: { child, parent },
    split: { val: 40 },
    resumedFrom: null,
  })
  it('says plainly when the new version scores below its parent', () => {
    expect(fineTuneOutcome(result(0.71, 0.74))).toEqual({
      kind: 'below',
      text: 'New version 1.1.0: validation macro AUROC 0.710 vs 0.740 (parent 1.0.0) on the same 40 cases — below its parent: keep 1.0.0 as the model you read with',
    })
    expect(fineTuneOutcome(result(0.75, 0.74)).kind).toBe('ok')
    expect(fineTuneOutcome(result(null, 0.74)).kind).toBe('ok')
  })

  it('asks before registering a version below its parent, naming the figures, with localization beside the parent and the prior box', () => {
    const figures = (iouMean: number, iobb25: number, hitRate: number) => ({ iouMean, iobb25, hitRate })
    const pending = { ...result(0.741, 0.752), child: null, registered: false, version: '1.0.0+ft.1', belowParent: { reasons: ['…'] } }
    expect(fineTuneOutcome(pending)).toEqual({
      kind: 'ask',
      text: 'This version scores below its parent (0.741 vs 0.752 validation AUROC). Register anyway?',
    })
    const localization = {
      weight: 1,
      boxedCases: { train: 90, val: 20, test: 18 },
      mean: { child: figures(0.14, 0.3, 0.4), parent: figures(0.15, 0.35, 0.45), prior: figures(0.13, 0.2, 0.5) },
    }
    const boxed = fineTuneOutcome({ ...pending, valMacroAuroc: { child: 0.76, parent: 0.752 }, localization })
    expect(boxed.text).toBe('This version scores below its parent (0.140 vs 0.150 validation mean IoU). Register anyway?')
    expect(boxed.localization).toBe(
      'Grad-CAM on 20 validation cases with boxes (box weight 1): mean IoU 0.140 vs 0.150 (prior box 0.130), T(IoBB ≥ 0.25) 0.300 vs 0.350 (prior box 0.200), hit rate 0.400 vs 0.450 (prior box 0.500)',
    )
    // Registered anyway after the question: the plain below-parent message.
    expect(fineTuneOutcome({ ...result(0.741, 0.752), registered: true, belowParent: { reasons: ['…'] } }).kind).toBe('below')
  })
})

describe('model management', () => {
  it('is for clinical advisors and administrators, not for a radiologist or nobody', () => {
    expect(canManageModels({ role: 'clinical_advisor', administrator: false })).toBe(true)
    expect(canManageModels({ role: 'radiologist', administrator: true })).toBe(true)
    expect(canManageModels({ role: 'radiologist', administrator: false })).toBe(false)
    expect(canManageModels(null)).toBe(false)
  })
})
