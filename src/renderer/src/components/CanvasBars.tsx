/**
 * The viewer's two overlays on the canvas: the zoom bar (Fit, 1:1, the zoom level) and the status
 * line (value under the cursor, window/level, the drawing or brush mode). Memoized apart from the
 * canvas: it renders for every answer of an opening, and these MUI parts need none of them.
 */
import { memo, type Ref } from 'react'
import { Button, Paper, Typography } from '@mui/material'
import { formatWindowLevel, type WindowLevel } from '../canvas/windowLevel'

export const ZoomBar = memo(function ZoomBar({ scale, onFit, onActual }: { scale: number; onFit: () => void; onActual: () => void }) {
  return (
    <Paper
      elevation={3}
      sx={{ position: 'absolute', top: 8, left: 8, display: 'flex', alignItems: 'center', gap: 1, px: 1, py: 0.5, opacity: 0.9 }}
    >
      <Button size="small" onClick={onFit} data-testid="fit-button" title="Fit image (=)">
        Fit
      </Button>
      <Button size="small" onClick={onActual} title="Actual pixels (1)">
        1:1
      </Button>
      <Typography variant="caption" data-testid="zoom-level" sx={{ minWidth: 44, textAlign: 'right' }}>
        {Math.round(scale * 100)}%
      </Typography>
    </Paper>
  )
})

export interface ViewerStatusProps {
  /** The value under the cursor is written into this span directly (a render per mouse move would cost frames). */
  probeRef: Ref<HTMLSpanElement>
  windowLevel: WindowLevel
  pixelMax: number
  drawFinding: string | null
  brush: { mode: 'add' | 'erase' } | null
}

export const ViewerStatus = memo(function ViewerStatus({ probeRef, windowLevel, pixelMax, drawFinding, brush }: ViewerStatusProps) {
  return (
    <Paper
      elevation={0}
      sx={{ position: 'absolute', bottom: 0, left: 0, right: 0, px: 1, bgcolor: 'rgba(0,0,0,0.6)', pointerEvents: 'none' }}
    >
      <Typography
        variant="caption"
        sx={{ fontFamily: 'monospace' }}
        data-testid="viewer-status"
        data-window={windowLevel.window}
        data-level={windowLevel.level}
        data-pixel-max={pixelMax}
      >
        <span ref={probeRef} />
        {`   ${formatWindowLevel(windowLevel, pixelMax)}${windowLevel.invert ? ' · inverted' : ''}`}
        {drawFinding ? `   · drawing ${drawFinding}: drag on the image` : ''}
        {brush ? `   · brush: ${brush.mode === 'add' ? 'add evidence' : 'erase evidence'} (drag on the image)` : ''}
      </Typography>
    </Paper>
  )
})
