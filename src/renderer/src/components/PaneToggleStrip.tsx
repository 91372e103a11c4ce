/**
 * The slim strip beside a foldable pane (the worklist, the side panel): one button that folds and
 * unfolds it, with its key in the tooltip. `edge` is the side of the strip the pane is on.
 */
import { memo } from 'react'
import { IconButton, Paper, Tooltip } from '@mui/material'

export const PaneToggleStrip = memo(function PaneToggleStrip({
  edge,
  open,
  onToggle,
  what,
  hotkey,
  testId,
}: {
  edge: 'left' | 'right'
  open: boolean
  onToggle: () => void
  what: string
  hotkey: string
  testId: string
}) {
  // The arrow points where the pane goes: towards its edge to fold it, away to unfold it.
  const [folding, unfolding] = edge === 'left' ? ['‹', '›'] : ['›', '‹']
  return (
    <Paper
      square
      elevation={0}
      sx={{
        width: 28,
        flexShrink: 0,
        display: 'flex',
        flexDirection: 'column',
        alignItems: 'center',
        ...(edge === 'left' ? { borderRight: 1 } : { borderLeft: 1 }),
        borderColor: 'divider',
        pt: 0.5,
      }}
    >
      <Tooltip title={`${open ? 'Hide' : 'Show'} the ${what} (${hotkey})`} placement={edge === 'left' ? 'right' : 'left'}>
        <IconButton
          size="small"
          onClick={onToggle}
          data-testid={testId}
          aria-label={`${open ? 'Hide' : 'Show'} the ${what}`}
          aria-expanded={open}
        >
          {open ? folding : unfolding}
        </IconButton>
      </Tooltip>
    </Paper>
  )
})
