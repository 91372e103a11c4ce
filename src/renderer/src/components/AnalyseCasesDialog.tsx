/**
 * "Analyse cases": all cases, the selected one, or the worklist's current filter, with any installed
 * model and method. One `background:enqueue` request; the background queue does the work and the
 * chip shows its progress.
 */
import { useEffect, useState } from 'react'
import {
  Alert,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  MenuItem,
  Radio,
  RadioGroup,
  TextField,
} from '@mui/material'
import type { BackgroundScope } from '../../../shared/background'
import type { ModelSummary } from '../../../shared/domain'
import { EXPLAIN_METHODS, methodChoiceLabel, type ExplainMethod } from '../../../shared/explainMethods'
import { errorMessage, useApi } from '../apiContext'
import { methodSupported, modelKey } from '../stores/analysisStore'
import { toWorklistQuery, type WorklistStore } from '../stores/worklistStore'

type ScopeKind = BackgroundScope['kind']

export function AnalyseCasesDialog({ worklist, onClose }: { worklist: WorklistStore; onClose: () => void }) {
  const api = useApi()
  const [models, setModels] = useState<ModelSummary[]>([])
  const [key, setKey] = useState('')
  const [method, setMethod] = useState<ExplainMethod>('gradcam')
  const { openCaseId, total } = worklist.getState()
  const [scope, setScope] = useState<ScopeKind>(openCaseId !== null ? 'cases' : 'filter')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    api.models.list({}).then(
      (list) => {
        setModels(list)
        const first = list.find((m) => m.isDefault) ?? list[0]
        if (first) setKey(modelKey(first))
      },
      (e: unknown) => setError(errorMessage(e)),
    )
  }, [api])
  const model = models.find((m) => modelKey(m) === key)

  const submit = async () => {
    if (!model) return
    const { filters } = worklist.getState()
    const { offset: _o, limit: _l, sort: _s, order: _d, ...filter } = toWorklistQuery(filters, 0, 1)
    const request: BackgroundScope =
      scope === 'all'
        ? { kind: 'all' }
        : scope === 'cases'
          ? { kind: 'cases', caseIds: openCaseId !== null ? [openCaseId] : [] }
          : { kind: 'filter', filter }
    setBusy(true)
    try {
      await api.background.enqueue({ scope: request, model: model.id, version: model.version, method })
      onClose()
    } catch (e) {
      setError(errorMessage(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <Dialog open onClose={onClose} data-testid="analyse-dialog">
      <DialogTitle>Analyse cases</DialogTitle>
      <DialogContent sx={{ display: 'flex', flexDirection: 'column', gap: 2, minWidth: 420 }}>
        <RadioGroup value={scope} onChange={(e) => setScope(e.target.value as ScopeKind)}>
          <FormControlLabel value="all" control={<Radio />} label="All cases" data-testid="analyse-scope-all" />
          <FormControlLabel
            value="cases"
            control={<Radio />}
            label="The open case"
            disabled={openCaseId === null}
            data-testid="analyse-scope-selected"
          />
          <FormControlLabel
            value="filter"
            control={<Radio />}
            label={`The worklist's filtered cases (${total ?? 0})`}
            data-testid="analyse-scope-filtered"
          />
        </RadioGroup>
        <TextField
          select
          size="small"
          label="Model"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          slotProps={{ htmlInput: { 'data-testid': 'analyse-model' } }}
        >
          {models.map((m) => (
            <MenuItem key={modelKey(m)} value={modelKey(m)}>{`${m.id} ${m.version}`}</MenuItem>
          ))}
        </TextField>
        <TextField
          select
          size="small"
          label="Method"
          value={method}
          onChange={(e) => setMethod(e.target.value as ExplainMethod)}
          slotProps={{ htmlInput: { 'data-testid': 'analyse-method' } }}
        >
          {EXPLAIN_METHODS.map((m) => (
            <MenuItem key={m} value={m} disabled={!methodSupported(model, m)}>
              {methodChoiceLabel(m)}
            </MenuItem>
          ))}
        </TextField>
        {error && <Alert severity="error">{error}</Alert>}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
        <Button variant="contained" onClick={() => void submit()} disabled={!model || busy} data-testid="analyse-start">
          Analyse
        </Button>
      </DialogActions>
    </Dialog>
  )
}
