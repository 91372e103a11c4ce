/**
 * The heatmap legend's words and colour bar, pure (the HeatmapLegend component draws them): what
 * the map is, its units from the method registry, and the scale's ends in those units.
 */
import type { HeatmapData } from '../../../shared/domain'
import { methodFacts, UNIT_LABELS } from '../../../shared/explainMethods'
import { colormapLut, type ColormapName } from './colormaps'
import { displayScaleFor, divergingRgba, maxAbs } from './heatmapPixels'

const STOPS = 9

/** CSS gradient stops sampled from the same tables the overlay uses. */
export function legendGradient(method: string, colormap: ColormapName): string {
  const ts = Array.from({ length: STOPS }, (_, i) => i / (STOPS - 1))
  if (displayScaleFor(method) === 'diverging') {
    // opaque bar: the overlay's fading towards zero is shown by the near-white middle
    const rgba = divergingRgba(ts.map((t) => 2 * t - 1))
    return ts.map((t, i) => `rgb(${rgba[i * 4]}, ${rgba[i * 4 + 1]}, ${rgba[i * 4 + 2]}) ${(t * 100).toFixed(0)}%`).join(', ')
  }
  const lut = colormapLut(colormap)
  return ts.map((t) => {
    const e = Math.round(t * 255) * 3
    return `rgb(${lut[e]}, ${lut[e + 1]}, ${lut[e + 2]}) ${(t * 100).toFixed(0)}%`
  }).join(', ')
}

/** The legend's words, pure so tests can read them without rendering. */
export function legendText(map: Pick<HeatmapData, 'method' | 'finding' | 'width' | 'height' | 'values'>): { caption: string; low: string; mid: string; high: string } {
  const facts = methodFacts(map.method)
  const subject = facts.classSpecific ? map.finding : 'class-agnostic: the same map for every finding'
  const units = UNIT_LABELS[facts.units]
  if (displayScaleFor(map.method) === 'diverging') {
    const m = maxAbs(map.values)
    const end = m > 0 ? m.toPrecision(2) : '0'
    return { caption: `${facts.label} · ${subject} · ${map.width}×${map.height} · ${units}, diverging around 0`, low: `−${end}`, mid: '0', high: `+${end}` }
  }
  return { caption: `${facts.label} · ${subject} · ${map.width}×${map.height} · ${units}`, low: 'low', mid: '', high: 'high' }
}
