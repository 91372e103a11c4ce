/**
 * The colour bar on the image, in its lower right corner while the heatmap is drawn: a reader looking
 * at the radiograph sees which map it is and what its colours mean (the map's range, where it turns
 * transparent) without opening the side panel's Heatmap section. It has nothing to click
 * (pointer-events none), so the image under it still pans and zooms.
 */
import { memo, useMemo } from 'react'
import { Box, Typography } from '@mui/material'
import { methodFacts } from '../../../shared/explainMethods'
import { floorValue, legendText } from '../canvas/heatmapLegend'
import { displayScaleFor } from '../canvas/heatmapPixels'
import { ColorBar } from './ColorBar'
import type { HeatmapOverlay } from './HeatmapImage'

const WIDTH = 200

export const ImageColorBar = memo(function ImageColorBar({ overlay }: { overlay: HeatmapOverlay | null }) {
  const map = overlay?.map ?? null
  const text = useMemo(() => (map ? legendText(map) : null), [map])
  if (!overlay || !map || !text || !overlay.visible) return null
  const ramp = displayScaleFor(map.method) === 'minmax' ? overlay.floor : 0
  const facts = methodFacts(map.method)
  const value = (t: string) => (
    <Typography component="span" sx={{ fontSize: 11, lineHeight: 1.2, color: '#fff', fontVariantNumeric: 'tabular-nums' }}>
      {t}
    </Typography>
  )
  return (
    <Box
      data-testid="image-colorbar"
      data-low={text.low}
      data-high={text.high}
      data-floor={ramp}
      sx={{
        position: 'absolute',
        right: 8,
        bottom: 8,
        width: WIDTH,
        zIndex: 1,
        px: 1,
        py: 0.5,
        borderRadius: 1,
        bgcolor: 'rgba(0, 0, 0, 0.72)',
        pointerEvents: 'none',
      }}
    >
      <Typography noWrap sx={{ fontSize: 11, lineHeight: 1.4, color: '#fff' }} title={facts.definition}>
        {facts.label} · {facts.classSpecific ? map.finding : 'all findings'}
      </Typography>
      <ColorBar method={map.method} colormap={overlay.colormap} ramp={ramp} height={10} testId="image-colorbar-bar" />
      <Box sx={{ display: 'flex', justifyContent: 'space-between', mt: 0.25 }}>
        {value(text.low)}
        {text.mid && value(text.mid)}
        {value(text.high)}
      </Box>
      {ramp > 0 && (
        <Typography
          noWrap
          sx={{ fontSize: 11, lineHeight: 1.2, color: 'rgba(255, 255, 255, 0.8)' }}
          data-testid="image-colorbar-threshold-text"
        >
          transparent below {floorValue(map.values, ramp)}
        </Typography>
      )}
    </Box>
  )
})
