/**
 * The heatmap legend's words and colour bar, pure (the HeatmapLegend component draws them): what
 * the map is, its units from the method registry, and the scale's ends in those units.
 */
import type { HeatmapData } from '../../../shared/domain'
import { methodFacts, UNIT_LABELS } from '../../../shared/explainMethods'
import { colormapLut, type ColormapName } from './colormaps'
import { displayScaleFor, divergingRgba, maxAbs, rampAlpha } from './heatmapPixels'

const STOPS = 33

/**
 * CSS gradient stops sampled from the same tables and the same alpha ramp the overlay uses: below
 * `floor` the bar is transparent (the component lays it over a grey like a radiograph's).
 */
export function legendGradient(method: string, colormap: ColormapName, floor = 0): string {
  const ts = Array.from({ length: STOPS }, (_, i) => i / (STOPS - 1))
  if (displayScaleFor(method) === 'diverging') {
    // opaque bar: the overlay's fading towards zero is shown by the near-white middle
    const rgba = divergingRgba(ts.map((t) => 2 * t - 1))
    return ts.map((t, i) => `rgb(${rgba[i * 4]}, ${rgba[i * 4 + 1]}, ${rgba[i * 4 + 2]}) ${(t * 100).toFixed(0)}%`).join(', ')
  }
  const lut = colormapLut(colormap)
  return ts
    .map((t) => {
      const e = Math.round(t * 255) * 3
      const alpha = rampAlpha(t, floor)
      const at = `${(t * 100).toFixed(1).replace(/\.0$/, '')}%`
      return alpha >= 1
        ? `rgb(${lut[e]}, ${lut[e + 1]}, ${lut[e + 2]}) ${at}`
        : `rgba(${lut[e]}, ${lut[e + 1]}, ${lut[e + 2]}, ${alpha.toFixed(2)}) ${at}`
    })
    .join(', ')
}

/** The legend's words, pure so tests can read them without rendering. */
export function legendText(map: Pick<HeatmapData, 'method' | 'finding' | 'width' | 'height' | 'values'>): {
  caption: string
  low: string
  mid: string
  high: string
} {
  const facts = methodFacts(map.method)
  const subject = facts.classSpecific ? map.finding : 'class-agnostic: the same map for every finding'
  const units = UNIT_LABELS[facts.units]
  if (displayScaleFor(map.method) === 'diverging') {
    const m = maxAbs(map.values)
    const end = m > 0 ? m.toPrecision(2) : '0'
    return {
      caption: `${facts.label} · ${subject} · ${map.width}×${map.height} · ${units}, diverging around 0`,
      low: `−${end}`,
      mid: '0',
      high: `+${end}`,
    }
  }
  const [min, max] = finiteRange(map.values)
  return { caption: `${facts.label} · ${subject} · ${map.width}×${map.height} · ${units}`, low: short(min), mid: '', high: short(max) }
}

/** Smallest and largest finite value (0, 0 when none): the ends of a min–max bar. */
export function finiteRange(values: ArrayLike<number>): [number, number] {
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (!Number.isFinite(v)) continue
    if (v < min) min = v
    if (v > max) max = v
  }
  return min <= max ? [min, max] : [0, 0]
}

const short = (v: number): string => (v === 0 ? '0' : Math.abs(v) >= 1000 || Math.abs(v) < 0.01 ? v.toExponential(1) : v.toPrecision(3))

/** The value at the transparency threshold, in the map's units (a min–max map only). */
export function floorValue(values: ArrayLike<number>, floor: number): string {
  const [min, max] = finiteRange(values)
  return short(min + floor * (max - min))
}
