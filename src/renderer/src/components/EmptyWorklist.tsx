/**
 * What an empty worklist offers on a first run: the bundled sample (12 NIH ChestX-ray14 cases with
 * radiologist boxes), imported through the ordinary import with one click. When it is in, the first
 * case opens; background analysis gives it its heatmap.
 */
import { useCallback } from 'react'
import { Alert, Box, Button, LinearProgress, Typography } from '@mui/material'
import type { JobStatusOf } from '../../../shared/jobs'
import { useApi } from '../apiContext'
import { useJob } from '../hooks/useJob'
import { useStoreSelector } from '../hooks/useStoreSelector'
import { DEFAULT_FILTERS, type WorklistStore } from '../stores/worklistStore'

/** Opens the first row once the refreshed list has it (rows arrive a moment after the refresh). */
function openFirstRow(store: WorklistStore): void {
  let off: (() => void) | null = null
  let opened = false
  const tryOpen = () => {
    const row = store.rowAt(0)
    if (opened || !row) return
    // Before the updates below: they notify this very listener again.
    opened = true
    off?.()
    store.select(0)
    store.openCase(row.id)
  }
  off = store.subscribe(tryOpen)
  tryOpen()
}

export function EmptyWorklist({ store, onImport }: { store: WorklistStore; onImport: () => void }) {
  const api = useApi()
  const total = useStoreSelector(store, (s) => s.total)
  const filtered = useStoreSelector(store, (s) => JSON.stringify(s.filters) !== JSON.stringify(DEFAULT_FILTERS))
  const onFinished = useCallback(
    (status: JobStatusOf<'import'>) => {
      if (status.state !== 'succeeded') return
      store.refresh()
      openFirstRow(store)
    },
    [store],
  )
  const { state, start } = useJob<'import'>(api, onFinished)
  const importing = state.phase === 'starting' || state.phase === 'running'
  if (total !== 0 || filtered) return null
  const failed = state.finished && state.finished.state !== 'succeeded' ? (state.finished.error ?? state.finished.state) : null
  return (
    <Box sx={{ p: 3, display: 'flex', flexDirection: 'column', gap: 1.5, alignItems: 'flex-start' }} data-testid="empty-worklist">
      <Typography variant="subtitle1">No cases yet</Typography>
      <Typography variant="body2" color="text.secondary">
        Try the workstation on 12 NIH ChestX-ray14 radiographs with radiologists&apos; boxes (public domain). The model analyses them in the
        background.
      </Typography>
      <Button variant="contained" onClick={() => void start(() => api.sample.import({}))} disabled={importing} data-testid="open-sample">
        Open the sample cases
      </Button>
      <Button size="small" onClick={onImport}>
        Import your own cases…
      </Button>
      {importing && <LinearProgress sx={{ width: '100%' }} data-testid="sample-progress" />}
      {(state.error || failed) && <Alert severity="error">{state.error ?? failed}</Alert>}
    </Box>
  )
}
