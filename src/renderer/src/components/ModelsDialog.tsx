/**
 * Model management, out of the reading panel: the installed models (default first, intended use,
 * head, findings) and fine-tuning of the chosen one. Fine-tuning is a clinical advisor's or an
 * administrator's task, so the top bar offers this dialog to them only (readerStore's
 * canManageModels); the reading panel keeps just the model and method a reader looks at.
 */
import { useEffect, useState } from 'react'
import {
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from '@mui/material'
import { useStoreSelector } from '../hooks/useStoreSelector'
import { modelKey, type AnalysisStore } from '../stores/analysisStore'
import { FineTunePanel } from './FineTunePanel'

export function ModelsDialog({ store, onClose }: { store: AnalysisStore; onClose: () => void }) {
  const { models, chosenKey } = useStoreSelector(store, (s) => ({ models: s.models, chosenKey: s.modelKey }))
  const [key, setKey] = useState<string | null>(chosenKey)
  // A fine-tuning run reports its progress here: the dialog stays open until it ends or is cancelled.
  const [training, setTraining] = useState(false)
  const model = models?.find((m) => modelKey(m) === key) ?? models?.find((m) => m.isDefault) ?? models?.[0]
  // The list is otherwise loaded when a case opens: an advisor may come here first (or after an import).
  useEffect(() => void store.loadModels(false), [store])
  return (
    <Dialog open onClose={training ? undefined : onClose} maxWidth="md" fullWidth data-testid="models-dialog">
      <DialogTitle>Models</DialogTitle>
      <DialogContent>
        {models === null ? (
          <Typography color="text.secondary" data-testid="models-loading">
            Loading the installed models…
          </Typography>
        ) : !models.length ? (
          <Typography color="text.secondary" data-testid="no-model">
            No model installed — import one with <code>cxr-lens models import DIR</code>
          </Typography>
        ) : (
          <Stack spacing={2}>
            <Table size="small" data-testid="models-table">
              <TableHead>
                <TableRow>
                  <TableCell>Model</TableCell>
                  <TableCell>Version</TableCell>
                  <TableCell>Head</TableCell>
                  <TableCell>Findings</TableCell>
                  <TableCell>Intended use</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {models.map((m) => (
                  <TableRow key={modelKey(m)} data-testid="models-row" data-model={modelKey(m)}>
                    <TableCell>
                      {m.id}
                      {m.isDefault ? ' (default)' : ''}
                    </TableCell>
                    <TableCell>{m.version}</TableCell>
                    <TableCell>{m.headType}</TableCell>
                    <TableCell>{m.findings.length}</TableCell>
                    <TableCell sx={{ maxWidth: 280 }}>{m.intendedUse}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
            <TextField
              select
              size="small"
              label="Fine-tune from"
              value={model ? modelKey(model) : ''}
              onChange={(event) => setKey(event.target.value)}
              disabled={training}
              slotProps={{ select: { native: true }, htmlInput: { 'data-testid': 'fine-tune-model' } }}
            >
              {models.map((m) => (
                <option key={modelKey(m)} value={modelKey(m)}>{`${m.id} ${m.version}`}</option>
              ))}
            </TextField>
            {model &&
              (model.trainableLayers.length > 0 ? (
                <FineTunePanel key={modelKey(model)} model={model} onNewVersion={() => void store.loadModels()} onBusy={setTraining} />
              ) : (
                <Typography variant="body2" color="text.secondary">
                  This model has no layer that can be fine-tuned here.
                </Typography>
              ))}
          </Stack>
        )}
      </DialogContent>
      <DialogActions>
        {training && (
          <Typography variant="caption" color="text.secondary" sx={{ mr: 1 }}>
            Fine-tuning runs: cancel it or wait to close
          </Typography>
        )}
        <Button onClick={onClose} disabled={training} data-testid="models-close">
          Close
        </Button>
      </DialogActions>
    </Dialog>
  )
}
