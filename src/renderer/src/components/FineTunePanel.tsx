/**
 * Fine-tunes the selected model's final layer on the store's labelled cases (a worker job with
 * epoch progress and cancel). The result is a new model version; the parent stays selectable.
 */
import { useCallback, useState } from 'react'
import { Alert, Box, Button, LinearProgress, Stack, Typography } from '@mui/material'
import type { JobStatus, ModelSummary } from '../../../shared/domain'
import { useApi } from '../apiContext'
import { useJob } from '../hooks/useJob'

interface TrainResult {
  child: { id: string; version: string }
  parent: { id: string; version: string }
  valMacroAuroc: { child: number | null; parent: number | null }
  split: { val: number }
}

const fmt = (v: number | null) => (v === null ? '–' : v.toFixed(3))

export function FineTunePanel({ model, onNewVersion }: { model: ModelSummary; onNewVersion: () => void }) {
  const api = useApi()
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null)
  const onFinished = useCallback(
    (status: JobStatus<TrainResult>) => {
      if (status.state === 'succeeded' && status.result) {
        const r = status.result
        setMessage({ ok: true, text: `New version ${r.child.version}: validation macro AUROC ${fmt(r.valMacroAuroc.child)} vs ${fmt(r.valMacroAuroc.parent)} (parent ${r.parent.version}) on the same ${r.split.val} cases` })
        onNewVersion()
      } else setMessage({ ok: false, text: status.error ?? `Fine-tuning ${status.state}` })
    },
    [onNewVersion],
  )
  const job = useJob<TrainResult>(api, onFinished)
  const busy = job.state.phase === 'starting' || job.state.phase === 'running'
  const progress = job.state.progress
  if (model.headType !== 'gap_linear') return null
  return (
    <Box data-testid="fine-tune-panel">
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <Button
          size="small"
          variant="outlined"
          disabled={busy}
          data-testid="fine-tune"
          onClick={() => {
            setMessage(null)
            void job.start(() => api.training.start({ model: model.id, version: model.version }))
          }}
        >
          Fine-tune on labelled cases
        </Button>
        {busy && (
          <Button size="small" color="warning" onClick={() => void job.cancel()}>
            Cancel
          </Button>
        )}
      </Stack>
      {busy && (
        <Box sx={{ mt: 0.5 }}>
          <LinearProgress />
          <Typography variant="caption" color="text.secondary" data-testid="fine-tune-progress">
            {progress?.message ?? 'Starting…'}
          </Typography>
        </Box>
      )}
      {message && (
        <Alert severity={message.ok ? 'success' : 'error'} sx={{ mt: 0.5 }} data-testid="fine-tune-result">
          {message.text}
        </Alert>
      )}
    </Box>
  )
}
