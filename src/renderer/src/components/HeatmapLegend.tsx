/**
 * The heatmap's legend: what the map is (method, finding, or that it is the same for every finding),
 * its units and a colour bar matching how heatmapPixels draws it: the chosen colormap from low to
 * high for a relative (min–max) map, a diverging bar from −max|v| through 0 to +max|v| for a signed
 * one, with the end values in the map's units.
 */
import { memo, useMemo } from 'react'
import { Box, Stack, Typography } from '@mui/material'
import type { HeatmapData } from '../../../shared/domain'
import { methodFacts } from '../../../shared/explainMethods'
import type { ColormapName } from '../canvas/colormaps'
import { legendGradient, legendText } from '../canvas/heatmapLegend'
import { displayScaleFor } from '../canvas/heatmapPixels'

export const HeatmapLegend = memo(function HeatmapLegend({ map, colormap }: { map: HeatmapData; colormap: ColormapName }) {
  const text = useMemo(() => legendText(map), [map])
  const background = useMemo(() => `linear-gradient(to right, ${legendGradient(map.method, colormap)})`, [map, colormap])
  return (
    <Stack spacing={0.25} data-testid="heatmap-legend" data-scale={displayScaleFor(map.method)} data-units={methodFacts(map.method).units}>
      <Typography variant="caption" color="text.secondary" data-testid="heatmap-caption" title={methodFacts(map.method).definition}>
        {text.caption}
      </Typography>
      {!methodFacts(map.method).passesRandomization && (
        <Typography variant="caption" color="warning.main" data-testid="heatmap-sanity-warning" title={methodFacts(map.method).sanity}>
          Fails the model-randomization check: this map barely depends on what the model learned
        </Typography>
      )}
      <Box sx={{ height: 8, borderRadius: 0.5, background }} aria-hidden />
      <Stack direction="row" sx={{ justifyContent: 'space-between' }}>
        <Typography variant="caption" color="text.secondary" data-testid="heatmap-legend-low">{text.low}</Typography>
        <Typography variant="caption" color="text.secondary">{text.mid}</Typography>
        <Typography variant="caption" color="text.secondary" data-testid="heatmap-legend-high">{text.high}</Typography>
      </Stack>
    </Stack>
  )
})
