/**
 * The PACS screen, for every reader: pick a connection, search its studies (QIDO-RS: date range,
 * modality, accession, patient ID), tick studies and "Retrieve selected" (a pacsPull job: progress,
 * Cancel, per-instance errors in the summary). The found studies live in this dialog's state only:
 * shown, never stored; the patient ID typed goes to the PACS and nowhere else.
 */
import { useCallback, useEffect, useState } from 'react'
import {
  Alert,
  Box,
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  LinearProgress,
  MenuItem,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from '@mui/material'
import type { PacsConnectionInfo, StudyMatch, StudyQuery } from '../../../shared/pacs'
import type { JobStatusOf } from '../../../shared/jobs'
import { errorMessage, useApi } from '../apiContext'
import { useJob } from '../hooks/useJob'
import { ImportSummaryView } from './ImportSummaryView'
import { PacsConnectionsPanel } from './PacsConnectionsPanel'

export interface PacsDialogProps {
  administrator: boolean
  onClose: () => void
  onFinished: (status: JobStatusOf<'pacsPull'>) => void
}

/** `<input type="date">` gives YYYY-MM-DD; DICOM dates are YYYYMMDD. */
const dicomDate = (value: string) => value.replaceAll('-', '')
const shownDate = (value: string | null) =>
  value && /^\d{8}$/.test(value) ? `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6)}` : (value ?? '–')

export function PacsDialog({ administrator, onClose, onFinished }: PacsDialogProps) {
  const api = useApi()
  const { state, start, cancel } = useJob<'pacsPull'>(api, onFinished)
  const [connections, setConnections] = useState<PacsConnectionInfo[]>([])
  const [selected, setSelected] = useState('')
  const [form, setForm] = useState({ since: '', until: '', modality: '', accession: '', patientId: '' })
  const [studies, setStudies] = useState<StudyMatch[] | null>(null)
  const [chosen, setChosen] = useState<Set<string>>(new Set())
  const [searching, setSearching] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const busy = state.phase === 'starting' || state.phase === 'running'

  const load = useCallback(async () => {
    try {
      const list = await api.pacs.list({})
      setConnections(list)
      setSelected((current) => (list.some((c) => c.name === current) ? current : (list[0]?.name ?? '')))
    } catch (e) {
      setError(errorMessage(e))
    }
  }, [api])
  useEffect(() => void load(), [load])

  const search = async () => {
    if (!selected) return
    const query: StudyQuery = {}
    if (form.since) query.since = dicomDate(form.since)
    if (form.until) query.until = dicomDate(form.until)
    if (form.modality === 'CR' || form.modality === 'DX') query.modality = form.modality
    if (form.accession.trim()) query.accession = form.accession.trim()
    if (form.patientId.trim()) query.patientId = form.patientId.trim()
    setSearching(true)
    setError(null)
    try {
      const found = await api.pacs.query({ name: selected, query })
      setStudies(found.studies)
      setChosen(new Set())
    } catch (e) {
      setStudies(null)
      setError(errorMessage(e))
    } finally {
      setSearching(false)
    }
  }

  const toggle = (uid: string) =>
    setChosen((prev) => {
      const next = new Set(prev)
      if (next.has(uid)) next.delete(uid)
      else next.add(uid)
      return next
    })

  const progress = state.progress
  const percent = progress && progress.total > 0 ? Math.min(100, (progress.done / progress.total) * 100) : null

  return (
    <Dialog open onClose={busy ? undefined : onClose} fullWidth maxWidth="md" data-testid="pacs-dialog">
      <DialogTitle>PACS</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ pt: 1 }}>
          <PacsConnectionsPanel
            connections={connections}
            selected={selected}
            onSelect={setSelected}
            administrator={administrator}
            onChanged={() => void load()}
          />
          <Stack direction="row" spacing={1} sx={{ flexWrap: 'wrap', rowGap: 1 }}>
            <TextField
              size="small"
              type="date"
              label="From"
              value={form.since}
              onChange={(e) => setForm({ ...form, since: e.target.value })}
              slotProps={{ inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'pacs-since' } }}
            />
            <TextField
              size="small"
              type="date"
              label="To"
              value={form.until}
              onChange={(e) => setForm({ ...form, until: e.target.value })}
              slotProps={{ inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'pacs-until' } }}
            />
            <TextField
              select
              size="small"
              label="Modality"
              value={form.modality}
              onChange={(e) => setForm({ ...form, modality: e.target.value })}
              sx={{ minWidth: 110 }}
              slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'pacs-modality' } }}
            >
              <MenuItem value="">CR or DX</MenuItem>
              <MenuItem value="CR">CR</MenuItem>
              <MenuItem value="DX">DX</MenuItem>
            </TextField>
            <TextField
              size="small"
              label="Accession"
              value={form.accession}
              onChange={(e) => setForm({ ...form, accession: e.target.value })}
              slotProps={{ htmlInput: { 'data-testid': 'pacs-accession', spellCheck: false } }}
            />
            <TextField
              size="small"
              label="Patient ID"
              value={form.patientId}
              onChange={(e) => setForm({ ...form, patientId: e.target.value })}
              helperText="Sent to the PACS only: not stored, not logged"
              slotProps={{ htmlInput: { 'data-testid': 'pacs-patient-id', spellCheck: false, autoComplete: 'off' } }}
            />
            <Box>
              <Button variant="outlined" onClick={() => void search()} disabled={!selected || searching || busy} data-testid="pacs-search">
                Search
              </Button>
            </Box>
          </Stack>
          {searching && <LinearProgress />}
          {error && (
            <Alert severity="error" data-testid="pacs-error">
              {error}
            </Alert>
          )}
          {studies && (
            <Box sx={{ maxHeight: 280, overflow: 'auto' }}>
              <Typography variant="caption" color="text.secondary" data-testid="pacs-result-count">
                {studies.length} {studies.length === 1 ? 'study' : 'studies'} found (shown here only; nothing is kept until you retrieve)
              </Typography>
              <Table size="small" stickyHeader>
                <TableHead>
                  <TableRow>
                    <TableCell padding="checkbox" />
                    <TableCell>Date</TableCell>
                    <TableCell>Modalities</TableCell>
                    <TableCell>Instances</TableCell>
                    <TableCell>Accession</TableCell>
                    <TableCell>Description</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {studies.map((s) => (
                    <TableRow
                      key={s.studyInstanceUid}
                      hover
                      onClick={() => !busy && toggle(s.studyInstanceUid)}
                      data-testid="pacs-result-row"
                      data-study={s.studyInstanceUid}
                      sx={{ cursor: 'pointer' }}
                    >
                      <TableCell padding="checkbox">
                        <Checkbox
                          size="small"
                          checked={chosen.has(s.studyInstanceUid)}
                          disabled={busy}
                          slotProps={{ input: { 'aria-label': `select study ${s.accession ?? s.studyInstanceUid}` } }}
                        />
                      </TableCell>
                      <TableCell>{shownDate(s.date)}</TableCell>
                      <TableCell>{s.modalities.join(', ') || '–'}</TableCell>
                      <TableCell>{s.instances ?? '–'}</TableCell>
                      <TableCell>{s.accession ?? '–'}</TableCell>
                      <TableCell>{s.description ?? ''}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </Box>
          )}
          {state.error && <Alert severity="error">{state.error}</Alert>}
          {busy && (
            <Box data-testid="pacs-progress">
              <LinearProgress variant={percent === null ? 'indeterminate' : 'determinate'} value={percent ?? 0} />
              <Typography variant="body2" color="text.secondary" sx={{ mt: 0.5 }}>
                {progress
                  ? `${progress.done}${progress.total ? ` / ${progress.total}` : ''}${progress.message ? ` — ${progress.message}` : ''}`
                  : 'Starting…'}
              </Typography>
            </Box>
          )}
          {state.phase === 'finished' && state.finished && <ImportSummaryView status={state.finished} />}
        </Stack>
      </DialogContent>
      <DialogActions>
        {busy ? (
          <Button color="warning" onClick={() => void cancel()} disabled={state.phase !== 'running'} data-testid="pacs-cancel">
            Cancel retrieve
          </Button>
        ) : (
          <Button
            variant="contained"
            disabled={chosen.size === 0 || !selected}
            onClick={() => void start(() => api.pacs.pull({ pacs: selected, studies: [...chosen] }))}
            data-testid="pacs-retrieve"
          >
            Retrieve selected ({chosen.size})
          </Button>
        )}
        <Button onClick={onClose} disabled={busy} data-testid="pacs-close">
          Close
        </Button>
      </DialogActions>
    </Dialog>
  )
}
