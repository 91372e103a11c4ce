/**
 * The heatmap's legend: what the map is (method, finding, or that it is the same for every finding),
 * its units and a colour bar matching how heatmapPixels draws it: the chosen colormap from the
 * map's lowest to its highest value for a relative (min–max) map, transparent below the alpha
 * ramp's threshold (marked on the bar with its value), a diverging bar from −max|v| through 0 to
 * +max|v| for a signed one, with the end values in the map's units.
 */
import { memo, useMemo } from 'react'
import { Box, Stack, Typography } from '@mui/material'
import type { HeatmapData } from '../../../shared/domain'
import { methodFacts } from '../../../shared/explainMethods'
import type { ColormapName } from '../canvas/colormaps'
import { floorValue, legendText } from '../canvas/heatmapLegend'
import { displayScaleFor } from '../canvas/heatmapPixels'
import { ColorBar } from './ColorBar'

export const HeatmapLegend = memo(function HeatmapLegend({
  map,
  colormap,
  floor = 0,
}: {
  map: HeatmapData
  colormap: ColormapName
  floor?: number
}) {
  const text = useMemo(() => legendText(map), [map])
  const minmax = displayScaleFor(map.method) === 'minmax'
  const ramp = minmax ? floor : 0
  const threshold = useMemo(() => (ramp > 0 ? floorValue(map.values, ramp) : null), [map, ramp])
  return (
    <Stack
      spacing={0.25}
      data-testid="heatmap-legend"
      data-scale={displayScaleFor(map.method)}
      data-units={methodFacts(map.method).units}
      data-low={text.low}
      data-high={text.high}
      data-floor={ramp}
    >
      <Typography variant="caption" color="text.secondary" data-testid="heatmap-caption" title={methodFacts(map.method).definition}>
        {text.caption}
      </Typography>
      {!methodFacts(map.method).passesRandomization && (
        <Typography variant="caption" color="warning.main" data-testid="heatmap-sanity-warning" title={methodFacts(map.method).sanity}>
          Fails the model-randomization check: this map barely depends on what the model learned
        </Typography>
      )}
      <ColorBar method={map.method} colormap={colormap} ramp={ramp} testId="heatmap-colorbar" />
      <Box sx={{ position: 'relative', height: 16 }}>
        <Typography variant="caption" color="text.secondary" data-testid="heatmap-legend-low" sx={{ position: 'absolute', left: 0 }}>
          {text.low}
        </Typography>
        {text.mid && (
          <Typography variant="caption" color="text.secondary" sx={{ position: 'absolute', left: '50%', transform: 'translateX(-50%)' }}>
            {text.mid}
          </Typography>
        )}
        <Typography variant="caption" color="text.secondary" data-testid="heatmap-legend-high" sx={{ position: 'absolute', right: 0 }}>
          {text.high}
        </Typography>
      </Box>
      {threshold !== null && (
        <Typography variant="caption" color="text.secondary" data-testid="heatmap-threshold-text">
          {`Transparent below ${threshold} (${Math.round(ramp * 100)}% of the range), fully coloured from ${Math.round(Math.min(1, ramp + 0.25) * 100)}%`}
        </Typography>
      )}
    </Stack>
  )
})
