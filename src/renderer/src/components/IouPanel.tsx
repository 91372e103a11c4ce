/**
 * IoU comparison for the open case and the shown heatmap's finding: Otsu threshold by default or a
 * slider, and per box (every author) the best IoU with a thresholded region, IoBB and whether the
 * map's maximum falls inside (pointing game). Numbers come from the same code as the dashboard.
 */
import { memo } from 'react'
import { Box, Button, Slider, Stack, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material'
import type { IouScores } from '../hooks/useIouScores'
import type { ViewBox } from '../stores/boxStore'

export const IouPanel = memo(function IouPanel({
  finding,
  scores,
  boxes,
  manual,
  onThreshold,
}: {
  finding: string
  scores: IouScores
  boxes: readonly ViewBox[]
  manual: number | null
  onThreshold: (t: number | null) => void
}) {
  const byId = new Map(boxes.map((b) => [b.id, b]))
  return (
    <Box data-testid="iou-panel" data-threshold={scores.threshold}>
      <Typography variant="subtitle2">Localization · {finding}</Typography>
      <Typography variant="caption" color="text.secondary" component="div" data-testid="iou-predicted-legend">
        <Box
          component="span"
          sx={{ display: 'inline-block', width: 18, height: 10, mr: 0.5, border: '1.5px dotted #fff', verticalAlign: 'middle' }}
        />
        {`${scores.predicted.length} predicted region${scores.predicted.length === 1 ? '' : 's'}: the map ≥ ${manual === null ? 'Otsu' : 'T'} (${scores.threshold.toFixed(2)} on the map scaled to 0–1) — not ground truth`}
      </Typography>
      <Stack direction="row" spacing={1.5} sx={{ alignItems: 'center' }}>
        <Typography variant="caption" sx={{ whiteSpace: 'nowrap' }}>
          T {scores.threshold.toFixed(2)}
        </Typography>
        <Slider
          size="small"
          min={0.05}
          max={0.95}
          step={0.01}
          value={scores.threshold}
          onChange={(_e, v) => onThreshold(Array.isArray(v) ? v[0]! : v)}
          aria-label="Heatmap threshold"
          data-testid="iou-threshold"
          data-value={scores.threshold}
        />
        <Button
          size="small"
          disabled={manual === null}
          onClick={() => onThreshold(null)}
          title={`Otsu's threshold: ${scores.otsu.toFixed(3)}`}
        >
          Otsu
        </Button>
      </Stack>
      {scores.rows.length === 0 ? (
        <Typography variant="body2" color="text.secondary" data-testid="iou-no-boxes">
          No boxes for {finding} on this case: draw one (b) or pick another finding.
        </Typography>
      ) : (
        <Table size="small" padding="none">
          <TableHead>
            <TableRow>
              <TableCell>Box</TableCell>
              <TableCell align="right">IoU</TableCell>
              <TableCell align="right">IoBB</TableCell>
              <TableCell align="right">Hit</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {scores.rows.map((row) => (
              <TableRow
                key={row.id}
                data-testid="iou-row"
                data-box-id={row.id}
                data-iou={row.iou}
                data-iobb={row.iobb}
                data-hit={String(row.hit)}
              >
                <TableCell sx={{ maxWidth: 120, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
                  {byId.get(row.id)?.mine ? 'mine' : (byId.get(row.id)?.author ?? row.id)}
                </TableCell>
                <TableCell align="right">{row.iou.toFixed(3)}</TableCell>
                <TableCell align="right">{row.iobb.toFixed(3)}</TableCell>
                <TableCell align="right">{row.hit ? '✓' : '–'}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Box>
  )
})
