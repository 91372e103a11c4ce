/**
 * The heatmap's legend: what the map is (method, finding, or that it is the same for every finding),
 * its units and a colour bar matching how heatmapPixels draws it: the chosen colormap from low to
 * high for a relative (min–max) map, a diverging bar from −max|v| through 0 to +max|v| for a signed
 * one, with the end values in the map's units.
 */
import { memo, useMemo } from 'react'
import { Box, Stack, Typography } from '@mui/material'
import type { HeatmapData } from '../../../shared/domain'
import { methodFacts, UNIT_LABELS } from '../../../shared/explainMethods'
import { colormapLut, type ColormapName } from '../canvas/colormaps'
import { displayScaleFor, divergingRgba, maxAbs } from '../canvas/heatmapPixels'

const STOPS = 9

/** CSS gradient stops sampled from the same tables the overlay uses. */
function gradient(map: HeatmapData, colormap: ColormapName): string {
  const ts = Array.from({ length: STOPS }, (_, i) => i / (STOPS - 1))
  if (displayScaleFor(map.method) === 'diverging') {
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

export const HeatmapLegend = memo(function HeatmapLegend({ map, colormap }: { map: HeatmapData; colormap: ColormapName }) {
  const text = useMemo(() => legendText(map), [map])
  const background = useMemo(() => `linear-gradient(to right, ${gradient(map, colormap)})`, [map, colormap])
  return (
    <Stack spacing={0.25} data-testid="heatmap-legend" data-scale={displayScaleFor(map.method)} data-units={methodFacts(map.method).units}>
      <Typography variant="caption" color="text.secondary" data-testid="heatmap-caption" title={methodFacts(map.method).definition}>
        {text.caption}
      </Typography>
      <Box sx={{ height: 8, borderRadius: 0.5, background }} aria-hidden />
      <Stack direction="row" sx={{ justifyContent: 'space-between' }}>
        <Typography variant="caption" color="text.secondary" data-testid="heatmap-legend-low">{text.low}</Typography>
        <Typography variant="caption" color="text.secondary">{text.mid}</Typography>
        <Typography variant="caption" color="text.secondary" data-testid="heatmap-legend-high">{text.high}</Typography>
      </Stack>
    </Stack>
  )
})
