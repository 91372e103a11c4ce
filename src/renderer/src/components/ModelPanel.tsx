/**
 * Model panel of the case view: which model and explanation method, a Run button that analyses the
 * open case in the job worker (or just fetches the map when it is already stored), live progress,
 * and the execution provider that ran it. Fine-tuning lives in the Models dialog (advisors and
 * administrators), not here.
 */
import { memo, useCallback, useEffect } from 'react'
import { Alert, Box, Button, Chip, LinearProgress, Stack, TextField, Typography } from '@mui/material'
import type { JobStatusOf } from '../../../shared/jobs'
import { EXPLAIN_METHOD_FACTS, EXPLAIN_METHODS, UNIT_LABELS, isExplainMethod, methodChoiceLabel } from '../../../shared/explainMethods'
import { useApi } from '../apiContext'
import { useJob } from '../hooks/useJob'
import { useStoreSelector } from '../hooks/useStoreSelector'
import { methodSupported, modelKey, type AnalysisStore } from '../stores/analysisStore'

const PROVIDER_LABELS: Record<string, string> = { cpu: 'CPU', webgpu: 'WebGPU', cuda: 'CUDA' }

export function providerLabel(provider: string): string {
  return PROVIDER_LABELS[provider] ?? provider.toUpperCase()
}

export const ModelPanel = memo(function ModelPanel({ store }: { store: AnalysisStore }) {
  const api = useApi()
  const state = useStoreSelector(store, (s) => ({
    models: s.models,
    modelKey: s.modelKey,
    method: s.method,
    caseId: s.caseId,
    provider: s.provider,
    error: s.error,
  }))
  const onFinished = useCallback(
    (status: JobStatusOf<'analyze'>) => {
      if (status.state === 'succeeded') {
        store.setProvider(status.result?.provider ?? null)
        void store.loadResults()
      } else {
        store.setError(status.error ?? `Analysis ${status.state}`)
      }
    },
    [store],
  )
  const job = useJob<'analyze'>(api, onFinished)
  // A run belongs to the case it was started for: another case shows no progress or provider of it
  // (the job itself finishes in the background and its results are stored).
  const { reset } = job
  useEffect(() => reset(), [state.caseId, reset])
  const busy = job.state.phase === 'starting' || job.state.phase === 'running'
  const model = state.models?.find((m) => modelKey(m) === state.modelKey)
  const facts = EXPLAIN_METHOD_FACTS[state.method]

  async function run(): Promise<void> {
    const caseId = state.caseId
    if (!model || caseId === null) return
    store.setError(null)
    if (await store.loadResults()) return // already stored for this case, model and method
    await job.start(() => api.analysis.start({ caseIds: [caseId], model: model.id, version: model.version, methods: [state.method] }))
  }

  if (state.models === null)
    return (
      <Typography variant="body2" color="text.secondary">
        Loading models…
      </Typography>
    )
  if (state.models.length === 0) {
    return (
      <Alert severity="info" data-testid="no-model">
        No model installed — import one with <code>cxr-lens models import DIR</code>
      </Alert>
    )
  }

  const progress = job.state.progress
  const percent = progress && progress.total > 0 ? Math.min(100, (progress.done / progress.total) * 100) : null
  const error = state.error ?? job.state.error
  return (
    <Stack spacing={1.25}>
      <TextField
        select
        label="Model"
        size="small"
        value={state.modelKey ?? ''}
        onChange={(event) => store.selectModel(event.target.value)}
        disabled={busy}
        title={model?.intendedUse}
        slotProps={{ select: { native: true }, htmlInput: { 'data-testid': 'model-select' } }}
      >
        {state.models.map((m) => (
          <option key={modelKey(m)} value={modelKey(m)}>
            {`${m.id} ${m.version}${m.isDefault ? ' (default)' : ''}`}
          </option>
        ))}
      </TextField>
      <TextField
        select
        label="Explanation method"
        size="small"
        value={state.method}
        onChange={(event) => isExplainMethod(event.target.value) && store.selectMethod(event.target.value)}
        disabled={busy}
        title={facts.definition}
        helperText={`${facts.classSpecific ? 'per finding' : 'class-agnostic: the same map for every finding'} · ${UNIT_LABELS[facts.units]} · ${facts.cost}`}
        slotProps={{
          select: { native: true },
          htmlInput: { 'data-testid': 'method-select' },
          formHelperText: { 'data-testid': 'method-facts' } as object,
        }}
      >
        {EXPLAIN_METHODS.map((method) => (
          <option key={method} value={method} disabled={!methodSupported(model, method)}>
            {methodChoiceLabel(method) + (methodSupported(model, method) ? '' : ' (linear head only)')}
          </option>
        ))}
      </TextField>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <Button
          variant="contained"
          size="small"
          onClick={() => void run()}
          disabled={busy || !model || !methodSupported(model, state.method)}
          data-testid="run-model"
        >
          Run model
        </Button>
        {busy && (
          <Button size="small" color="warning" onClick={() => void job.cancel()} disabled={job.state.phase !== 'running'}>
            Cancel
          </Button>
        )}
        <Box sx={{ flex: 1 }} />
        {state.provider && (
          <Chip
            size="small"
            variant="outlined"
            label={providerLabel(state.provider)}
            title="Execution provider of the last run"
            data-testid="provider-chip"
            data-provider={state.provider}
          />
        )}
      </Stack>
      {busy && (
        <Box data-testid="analysis-progress">
          <LinearProgress variant={percent === null ? 'indeterminate' : 'determinate'} value={percent ?? 0} />
          <Typography variant="caption" color="text.secondary">
            {progress ? `${progress.done} / ${progress.total}${progress.message ? ` — ${progress.message}` : ''}` : 'Starting…'}
          </Typography>
        </Box>
      )}
      {error && <Alert severity="error">{error}</Alert>}
    </Stack>
  )
})
