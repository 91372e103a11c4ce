/**
 * The heatmap's colour bar: the overlay's own gradient (the same tables and alpha ramp, see
 * legendGradient) laid over a radiograph-like grey, so its transparent part looks as it will on the
 * image, with the transparency threshold marked. Drawn in the side panel's legend and on the image.
 */
import { memo, useMemo } from 'react'
import { Box } from '@mui/material'
import type { ColormapName } from '../canvas/colormaps'
import { legendGradient } from '../canvas/heatmapLegend'

/** A radiograph-like grey under the bar. */
const UNDER = 'repeating-linear-gradient(45deg, #555 0 4px, #777 4px 8px)'

export const ColorBar = memo(function ColorBar({
  method,
  colormap,
  ramp,
  height = 12,
  testId,
}: {
  method: string
  colormap: ColormapName
  /** the alpha ramp's threshold as a share of the bar (0: none, no mark) */
  ramp: number
  height?: number
  testId?: string
}) {
  const background = useMemo(
    () => `linear-gradient(to right, ${legendGradient(method, colormap, ramp)}), ${UNDER}`,
    [method, colormap, ramp],
  )
  return (
    <Box sx={{ position: 'relative', height, borderRadius: 0.5, background }} data-testid={testId} aria-hidden>
      {ramp > 0 && (
        <Box
          data-testid={testId ? `${testId}-threshold` : undefined}
          sx={{
            position: 'absolute',
            left: `${ramp * 100}%`,
            top: -2,
            bottom: -2,
            width: 2,
            ml: '-1px',
            bgcolor: '#fff',
            boxShadow: '0 0 0 1px #000',
          }}
        />
      )}
    </Box>
  )
})
