/**
 * Out-of-distribution marks (issue 18): the worklist's chip and the case view's banner and heatmap
 * label. A flagged case is shown like any other, heatmap included, but never without saying that
 * the model was not made for the image.
 */
import { memo } from 'react'
import { Alert, Box, Chip, Tooltip } from '@mui/material'
import type { OodMark } from '../../../shared/domain'

export const OOD_HEATMAP_LABEL = "Outside the model's training distribution: the map may mean nothing"

/** "Mahalanobis 61.2 > 39.8" (or the header's reason alone). */
export function oodScoreText(ood: OodMark): string {
  const score =
    ood.score !== null && ood.threshold !== null
      ? `${ood.method} score ${ood.score.toFixed(1)} > threshold ${ood.threshold.toFixed(1)}`
      : null
  const passed = ood.score !== null && ood.threshold !== null && ood.score <= ood.threshold
  return [passed ? null : score, ood.acquisition].filter(Boolean).join('; ') || 'flagged'
}

/** The worklist row's mark: only when flagged, with the score in its tooltip. */
export const OodChip = memo(function OodChip({ ood }: { ood: OodMark | null }) {
  if (!ood?.flagged) return null
  const title = `Out of distribution: the model was not made for this image (${oodScoreText(ood)})`
  return (
    <Tooltip title={title}>
      <Chip
        label={ood.score !== null && ood.score > (ood.threshold ?? Infinity) ? `OOD ${ood.score.toFixed(0)}` : 'OOD'}
        color="error"
        size="small"
        data-testid="worklist-ood"
        aria-label={title}
        sx={{ height: 18, '& .MuiChip-label': { px: 0.5, fontSize: 10, fontWeight: 600 } }}
      />
    </Tooltip>
  )
})

/**
 * The case view's banner over the image, and the heatmap's label while a map is drawn: dense lines in
 * the strip beside the zoom toolbar (below it on a narrow canvas), so that it covers no more of the
 * image (the apices, where a pneumothorax is drawn) than it must.
 */
export const OodBanner = memo(function OodBanner({ ood, heatmapShown }: { ood: OodMark | null; heatmapShown: boolean }) {
  if (!ood?.flagged) return null
  // pointer-events none throughout: the banner has nothing to click, and the image under it must still pan and zoom.
  return (
    <Box
      sx={{ position: 'absolute', top: 8, left: 8, right: 8, zIndex: 2, pointerEvents: 'none', display: 'flex', flexWrap: 'wrap', gap: 1 }}
    >
      {/* The zoom toolbar's place: on a wide canvas the banner sits beside it; on a narrow one it wraps below, full width. */}
      <Box sx={{ width: 216, height: 36 }} />
      <Alert
        severity="warning"
        variant="filled"
        data-testid="ood-banner"
        sx={{
          flex: '1 1 560px',
          minWidth: 0,
          py: 0,
          px: 1.5,
          fontSize: 13,
          lineHeight: 1.35,
          '& .MuiAlert-icon': { py: 0.5, mr: 1 },
          '& .MuiAlert-message': { py: 0.5 },
        }}
      >
        <b>Out of distribution: this image is not what the model was made for</b> ({oodScoreText(ood)}). The probabilities are not to be
        trusted.
        {heatmapShown && (
          <Box component="span" data-testid="ood-heatmap-label" sx={{ fontWeight: 600 }}>
            {' '}
            Heatmap: {OOD_HEATMAP_LABEL.charAt(0).toLowerCase() + OOD_HEATMAP_LABEL.slice(1)}.
          </Box>
        )}
      </Alert>
    </Box>
  )
})
