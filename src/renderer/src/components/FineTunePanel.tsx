/**
 * Fine-tunes the selected model's final layer (or its last block and final layer) on the store's
 * labelled cases: a worker job with epoch progress and cancel that resumes from its last epoch when
 * started again with the same settings. The result is a new model version; the parent stays selectable.
 */
import { useCallback, useEffect, useState } from 'react'
import { Alert, Box, Button, Checkbox, FormControlLabel, LinearProgress, Stack, TextField, Typography } from '@mui/material'
import type { ModelSummary, TrainLayers } from '../../../shared/domain'
import type { BoxLoss, JobStatusOf, TrainingRequest } from '../../../shared/jobs'
import { useApi } from '../apiContext'
import { useJob } from '../hooks/useJob'
import { fineTuneOutcome, type FineTuneOutcome } from './fineTuneOutcome'
import { BOX_SUPERVISION, boxSupervisionRequest, DEFAULT_BOX_SUPERVISION } from './boxSupervision'

type Balance = NonNullable<TrainingRequest['balance']>
const LAYER_LABELS: Record<TrainLayers, string> = { head: 'Final layer', 'head+last-block': 'Final layer + last block' }
const BALANCE_LABELS: Record<Balance, string> = { weights: 'Class weights', smote: 'SMOTE (feature space)', none: 'None' }

/** `onBusy` tells the dialog around it that a run is in progress (it then stays open). */
export function FineTunePanel({
  model,
  onNewVersion,
  onBusy,
}: {
  model: ModelSummary
  onNewVersion: () => void
  onBusy?: (busy: boolean) => void
}) {
  const api = useApi()
  const [message, setMessage] = useState<FineTuneOutcome | null>(null)
  const [layers, setLayers] = useState<TrainLayers>('head')
  const [balance, setBalance] = useState<Balance>('weights')
  const [fresh, setFresh] = useState(false)
  const [boxes, setBoxes] = useState(false)
  const [boxLoss, setBoxLoss] = useState<BoxLoss>(DEFAULT_BOX_SUPERVISION)
  // Blank: the trainer's defaults (README, Fine-tuning). Kept as typed; sent only when a valid number.
  const [epochs, setEpochs] = useState('')
  const [learningRate, setLearningRate] = useState('')
  // The request of the run whose result waits for Register / Discard (sent again with registerIfWorse).
  const [pending, setPending] = useState<TrainingRequest | null>(null)
  const [lastRequest, setLastRequest] = useState<TrainingRequest | null>(null)
  const onFinished = useCallback(
    (status: JobStatusOf<'train'>) => {
      if (status.state === 'succeeded' && status.result) {
        const outcome = fineTuneOutcome(status.result)
        setMessage(outcome)
        setPending(outcome.kind === 'ask' ? lastRequest : null)
        if (status.result.registered) onNewVersion()
      } else setMessage({ kind: 'error', text: status.error ?? `Fine-tuning ${status.state}` })
    },
    [onNewVersion, lastRequest],
  )
  const job = useJob<'train'>(api, onFinished)
  const busy = job.state.phase === 'starting' || job.state.phase === 'running'
  useEffect(() => onBusy?.(busy), [busy, onBusy])
  const progress = job.state.progress
  if (model.trainableLayers.length === 0) return null
  const chosenLayers = model.trainableLayers.includes(layers) ? layers : 'head'
  // Boxes shape the class activation map, which only the last block makes.
  const useBoxes = boxes && chosenLayers === 'head+last-block'
  const epochCount = /^\d+$/.test(epochs.trim()) ? Number(epochs) : null
  const rate = learningRate.trim() === '' ? null : Number(learningRate)
  const epochsBad = epochs.trim() !== '' && (epochCount === null || epochCount < 1 || epochCount > 500)
  const rateBad = rate !== null && !(rate > 0 && rate <= 10)
  const start = (request: TrainingRequest) => {
    setMessage(null)
    setPending(null)
    setLastRequest(request)
    void job.start(() => api.training.start(request))
  }
  return (
    <Box data-testid="fine-tune-panel">
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', mb: 1 }}>
        <TextField
          select
          size="small"
          label="Train"
          value={chosenLayers}
          disabled={busy}
          onChange={(event) => setLayers(event.target.value as TrainLayers)}
          slotProps={{ select: { native: true }, htmlInput: { 'data-testid': 'fine-tune-layers' } }}
        >
          {(Object.keys(LAYER_LABELS) as TrainLayers[]).map((l) => (
            <option key={l} value={l} disabled={!model.trainableLayers.includes(l)}>
              {LAYER_LABELS[l]}
              {model.trainableLayers.includes(l) ? '' : ' (not in this model)'}
            </option>
          ))}
        </TextField>
        <TextField
          select
          size="small"
          label="Class balancing"
          value={balance}
          disabled={busy}
          onChange={(event) => setBalance(event.target.value as Balance)}
          slotProps={{ select: { native: true }, htmlInput: { 'data-testid': 'fine-tune-balance' } }}
        >
          {(Object.keys(BALANCE_LABELS) as Balance[]).map((b) => (
            <option key={b} value={b}>
              {BALANCE_LABELS[b]}
            </option>
          ))}
        </TextField>
        <TextField
          size="small"
          label="Epochs"
          placeholder="default"
          value={epochs}
          disabled={busy}
          error={epochsBad}
          helperText={epochsBad ? '1–500' : undefined}
          onChange={(event) => setEpochs(event.target.value)}
          sx={{ width: 100 }}
          slotProps={{ htmlInput: { inputMode: 'numeric', 'data-testid': 'fine-tune-epochs' } }}
        />
        <TextField
          size="small"
          label="Learning rate"
          placeholder="default"
          value={learningRate}
          disabled={busy}
          error={rateBad}
          helperText={rateBad ? 'above 0, at most 10' : undefined}
          onChange={(event) => setLearningRate(event.target.value)}
          sx={{ width: 120 }}
          slotProps={{ htmlInput: { inputMode: 'decimal', 'data-testid': 'fine-tune-learning-rate' } }}
        />
      </Stack>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <Button
          size="small"
          variant="outlined"
          disabled={busy || epochsBad || rateBad}
          data-testid="fine-tune"
          onClick={() =>
            start({
              model: model.id,
              version: model.version,
              layers: chosenLayers,
              balance,
              ...(fresh ? { fresh } : {}),
              ...(useBoxes ? boxSupervisionRequest(boxLoss) : {}),
              ...(epochCount !== null ? { epochs: epochCount } : {}),
              ...(rate !== null ? { learningRate: rate } : {}),
            })
          }
        >
          Fine-tune on labelled cases
        </Button>
        <FormControlLabel
          label="Start over"
          title="Ignore the checkpoint a cancelled or interrupted run of the same settings left"
          control={<Checkbox size="small" checked={fresh} disabled={busy} onChange={(e) => setFresh(e.target.checked)} />}
        />
        <FormControlLabel
          label="Use readers' and dataset boxes as localization supervision"
          title="Fine-tunes the last block so Grad-CAM falls inside the cases' boxes; the box weight is chosen on validation boxes. Needs 'Final layer + last block'."
          control={
            <Checkbox
              size="small"
              checked={useBoxes}
              disabled={busy || chosenLayers !== 'head+last-block'}
              onChange={(e) => setBoxes(e.target.checked)}
              slotProps={{ input: { 'data-testid': 'fine-tune-boxes' } as object }}
            />
          }
        />
        {useBoxes && (
          <TextField
            select
            size="small"
            label="Localization term"
            value={boxLoss}
            disabled={busy}
            title={BOX_SUPERVISION[boxLoss].title}
            onChange={(event) => setBoxLoss(event.target.value as BoxLoss)}
            slotProps={{ select: { native: true }, htmlInput: { 'data-testid': 'fine-tune-box-loss' } }}
          >
            {(Object.keys(BOX_SUPERVISION) as BoxLoss[]).map((loss) => (
              <option key={loss} value={loss}>
                {BOX_SUPERVISION[loss].label}
              </option>
            ))}
          </TextField>
        )}
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
        <Alert
          severity={
            message.kind === 'ok'
              ? 'success'
              : message.kind === 'discarded'
                ? 'info'
                : message.kind === 'below' || message.kind === 'ask'
                  ? 'warning'
                  : 'error'
          }
          sx={{ mt: 0.5 }}
          data-testid="fine-tune-result"
          data-kind={message.kind}
        >
          {message.text}
          {message.localization && (
            <Typography variant="caption" component="div" data-testid="fine-tune-localization">
              {message.localization}
            </Typography>
          )}
          {message.kind === 'ask' && pending && (
            <Stack direction="row" spacing={1} sx={{ mt: 0.5 }}>
              <Button
                size="small"
                variant="contained"
                data-testid="fine-tune-register"
                // the finished run waits in its checkpoint: this registers it without training again
                onClick={() => start({ ...pending, fresh: undefined, registerIfWorse: true })}
              >
                Register
              </Button>
              <Button
                size="small"
                data-testid="fine-tune-discard"
                onClick={() => {
                  setPending(null)
                  setMessage({
                    kind: 'discarded',
                    text: `Discarded: nothing was registered; ${model.version} stays the model you read with`,
                  })
                }}
              >
                Discard
              </Button>
            </Stack>
          )}
        </Alert>
      )}
    </Box>
  )
}
