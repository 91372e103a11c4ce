/**
 * The box editor's side panel: the finding new boxes get (and relabel of the selected box), the
 * save state with a retry, undo/redo, "show others' boxes", and the case's boxes, mine first.
 */
import { memo } from 'react'
import {
  Box,
  Button,
  FormControlLabel,
  IconButton,
  List,
  ListItemButton,
  ListItemText,
  Stack,
  Switch,
  TextField,
  Typography,
} from '@mui/material'
import { displayFinding, NIH_FINDINGS } from '../../../shared/findings'
import { findingColor } from '../canvas/findingColors'
import { useBoxState, type BoxStore, type SaveState } from '../stores/boxStore'

const SAVE_TEXT: Record<SaveState, string> = { idle: '', saving: 'Saving…', saved: 'Saved', error: 'Save failed' }

export const BoxPanel = memo(function BoxPanel({
  store,
  finding,
  onFinding,
  armed,
}: {
  store: BoxStore
  finding: string
  onFinding: (f: string) => void
  armed: boolean
}) {
  const state = useBoxState(store)
  const selected = state.boxes.find((b) => b.id === state.selectedId && b.mine)
  const boxes = [...state.boxes].sort((a, b) => Number(b.mine) - Number(a.mine) || a.id - b.id)
  const dataState = state.saveState === 'idle' ? 'saved' : state.saveState

  function relabel(next: string): void {
    onFinding(next)
    if (selected) store.change(selected.id, { finding: next, x: selected.x, y: selected.y, w: selected.w, h: selected.h })
  }

  return (
    <Stack spacing={1}>
      <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'space-between' }}>
        <Typography variant="subtitle2">Boxes ({state.boxes.length})</Typography>
        <Typography
          variant="caption"
          data-testid="save-state"
          data-state={dataState}
          color={state.saveState === 'error' ? 'error' : 'text.secondary'}
          title={state.saveError ?? undefined}
        >
          {state.saveState === 'error'
            ? `${SAVE_TEXT.error}${state.saveError?.endsWith('retrying') ? ' — retrying' : ''}`
            : SAVE_TEXT[state.saveState]}
          {state.saveState === 'error' && (
            <Button size="small" color="error" onClick={() => store.retryNow()} sx={{ minWidth: 0, ml: 0.5 }}>
              Retry
            </Button>
          )}
        </Typography>
      </Stack>
      <TextField
        select
        size="small"
        label={selected ? 'Finding of the selected box' : armed ? 'Drawing: finding' : 'Finding for new boxes (b)'}
        value={selected?.finding ?? finding}
        onChange={(event) => relabel(event.target.value)}
        slotProps={{ select: { native: true }, htmlInput: { 'data-testid': 'box-finding-select' } }}
      >
        {NIH_FINDINGS.map((f) => (
          <option key={f} value={f}>
            {displayFinding(f)}
          </option>
        ))}
      </TextField>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <Button size="small" disabled={!state.canUndo} onClick={() => store.undo()} data-testid="undo" title="Undo (Ctrl+Z)">
          Undo
        </Button>
        <Button size="small" disabled={!state.canRedo} onClick={() => store.redo()} data-testid="redo" title="Redo (Ctrl+Shift+Z, Ctrl+Y)">
          Redo
        </Button>
        <Box sx={{ flex: 1 }} />
        <FormControlLabel
          label="Others' boxes"
          control={
            <Switch
              size="small"
              checked={state.showOthers}
              onChange={(e) => store.setShowOthers(e.target.checked)}
              slotProps={{ input: { 'data-testid': 'show-others-toggle' } as object }}
            />
          }
        />
      </Stack>
      <List dense disablePadding>
        {boxes.map((box) => (
          <ListItemButton
            key={box.id}
            data-testid="case-box"
            data-box-id={box.id}
            data-author={box.author}
            data-mine={box.mine ? 'true' : 'false'}
            selected={box.id === state.selectedId}
            onClick={() => store.select(box.mine ? box.id : null)}
            sx={{ borderLeft: 3, borderColor: findingColor(box.finding), pl: 1, my: 0.5, borderStyle: box.mine ? 'solid' : 'dashed' }}
          >
            <ListItemText
              primary={`${displayFinding(box.finding)} · ${box.mine ? 'mine' : box.author}`}
              secondary={`x ${Math.round(box.x)}  y ${Math.round(box.y)}  w ${Math.round(box.w)}  h ${Math.round(box.h)}`}
            />
            {box.mine && (
              <IconButton
                size="small"
                aria-label="Delete box"
                title="Delete (Del)"
                onClick={(e) => {
                  e.stopPropagation()
                  store.remove(box.id)
                }}
              >
                ✕
              </IconButton>
            )}
          </ListItemButton>
        ))}
      </List>
    </Stack>
  )
})
