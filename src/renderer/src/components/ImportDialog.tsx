/**
 * Import cases: an NIH ChestX-ray14 folder (image folder + label CSV + optional box CSV) or a folder
 * of DICOM files (searched recursively, de-identified on import). Shows live progress while the job
 * runs, then its summary with per-file errors and warnings. Browse buttons appear only where the
 * shell has native dialogs (Electron); in browser mode paths are typed.
 */
import { useState } from 'react'
import {
  Alert,
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  LinearProgress,
  Stack,
  TextField,
  ToggleButton,
  ToggleButtonGroup,
  Typography,
} from '@mui/material'
import type { ImportRequest } from '../../../shared/domain'
import type { JobStatusOf } from '../../../shared/jobs'
import { errorMessage, useApi } from '../apiContext'
import { useJob } from '../hooks/useJob'
import { ImportSummaryView } from './ImportSummaryView'

interface PathFieldProps {
  label: string
  value: string
  onChange: (value: string) => void
  testId: string
  browse: { kind: 'directory' | 'file'; title: string } | null
  onBrowse: (kind: 'directory' | 'file', title: string) => void
  disabled: boolean
}

function PathField({ label, value, onChange, testId, browse, onBrowse, disabled }: PathFieldProps) {
  return (
    <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
      <TextField
        label={label}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        fullWidth
        size="small"
        disabled={disabled}
        slotProps={{ htmlInput: { 'data-testid': testId, spellCheck: false } }}
      />
      {browse && (
        <Button variant="outlined" disabled={disabled} onClick={() => onBrowse(browse.kind, browse.title)}>
          Browse…
        </Button>
      )}
    </Stack>
  )
}

export interface ImportDialogProps {
  open: boolean
  nativeDialogs: boolean
  onClose: () => void
  onFinished: (status: JobStatusOf<'import' | 'importDicom'>) => void
}

export function ImportDialog({ open, nativeDialogs, onClose, onFinished }: ImportDialogProps) {
  const api = useApi()
  const { state, start, cancel } = useJob<'import' | 'importDicom'>(api, onFinished)
  const [imagesDir, setImagesDir] = useState('')
  const [labelsCsv, setLabelsCsv] = useState('')
  const [boxesCsv, setBoxesCsv] = useState('')
  const [source, setSource] = useState<'nih' | 'dicom'>('nih')
  const [dicomDir, setDicomDir] = useState('')
  const [formError, setFormError] = useState<string | null>(null)
  const busy = state.phase === 'starting' || state.phase === 'running'

  async function browseInto(setter: (value: string) => void, kind: 'directory' | 'file', title: string): Promise<void> {
    try {
      const { path } = await api.dialog.open({ kind, title })
      if (path) setter(path)
    } catch (error) {
      setFormError(errorMessage(error))
    }
  }

  function onStart(): void {
    if (source === 'dicom') {
      if (!dicomDir.trim()) {
        setFormError('Choose the DICOM folder.')
        return
      }
      setFormError(null)
      void start(() => api.import.dicom({ dicomDir: dicomDir.trim() }))
      return
    }
    const request: ImportRequest = { imagesDir: imagesDir.trim(), labelsCsv: labelsCsv.trim() }
    if (!request.imagesDir || !request.labelsCsv) {
      setFormError('Choose the images folder and the labels CSV.')
      return
    }
    if (boxesCsv.trim()) request.boxesCsv = boxesCsv.trim()
    setFormError(null)
    void start(() => api.import.start(request))
  }

  const progress = state.progress
  const percent = progress && progress.total > 0 ? Math.min(100, (progress.done / progress.total) * 100) : null
  const field = (kind: 'directory' | 'file', title: string) => (nativeDialogs ? { kind, title } : null)

  return (
    <Dialog open={open} onClose={busy ? undefined : onClose} fullWidth maxWidth="sm">
      <DialogTitle>Import cases</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ pt: 1 }}>
          <ToggleButtonGroup
            value={source}
            exclusive
            size="small"
            disabled={busy}
            onChange={(_e, value: 'nih' | 'dicom' | null) => value && setSource(value)}
          >
            <ToggleButton value="nih" data-testid="import-source-nih">
              NIH folder + CSV
            </ToggleButton>
            <ToggleButton value="dicom" data-testid="import-source-dicom">
              DICOM folder
            </ToggleButton>
          </ToggleButtonGroup>
          {source === 'dicom' ? (
            <>
              <PathField
                label="DICOM folder (searched recursively)"
                value={dicomDir}
                onChange={setDicomDir}
                testId="import-dicom-dir"
                browse={field('directory', 'DICOM folder')}
                onBrowse={(k, t) => void browseInto(setDicomDir, k, t)}
                disabled={busy}
              />
              <Typography variant="caption" color="text.secondary">
                Patient names, ids, birth dates and UIDs are replaced by pseudonyms on import (DICOM PS3.15 basic profile); only sex, age,
                view and pixel spacing are kept.
              </Typography>
            </>
          ) : (
            <>
              <PathField
                label="Images folder"
                value={imagesDir}
                onChange={setImagesDir}
                testId="import-images-dir"
                browse={field('directory', 'Images folder')}
                onBrowse={(k, t) => void browseInto(setImagesDir, k, t)}
                disabled={busy}
              />
              <PathField
                label="Labels CSV (Data_Entry_2017.csv)"
                value={labelsCsv}
                onChange={setLabelsCsv}
                testId="import-labels-csv"
                browse={field('file', 'Labels CSV')}
                onBrowse={(k, t) => void browseInto(setLabelsCsv, k, t)}
                disabled={busy}
              />
              <PathField
                label="Boxes CSV (optional, BBox_List_2017.csv)"
                value={boxesCsv}
                onChange={setBoxesCsv}
                testId="import-boxes-csv"
                browse={field('file', 'Boxes CSV')}
                onBrowse={(k, t) => void browseInto(setBoxesCsv, k, t)}
                disabled={busy}
              />
            </>
          )}
          {!nativeDialogs && (
            <Typography variant="caption" color="text.secondary">
              Type absolute paths on the machine running CXR Lens.
            </Typography>
          )}
          {(formError ?? state.error) && <Alert severity="error">{formError ?? state.error}</Alert>}
          {busy && (
            <Box data-testid="import-progress">
              <LinearProgress variant={percent === null ? 'indeterminate' : 'determinate'} value={percent ?? 0} />
              <Typography variant="body2" color="text.secondary" sx={{ mt: 0.5 }}>
                {progress ? `${progress.done} / ${progress.total}${progress.message ? ` — ${progress.message}` : ''}` : 'Starting…'}
              </Typography>
            </Box>
          )}
          {state.phase === 'finished' && state.finished && <ImportSummaryView status={state.finished} />}
        </Stack>
      </DialogContent>
      <DialogActions>
        {busy ? (
          <Button color="warning" onClick={() => void cancel()} disabled={state.phase !== 'running'} data-testid="import-cancel">
            Cancel import
          </Button>
        ) : (
          <Button variant="contained" onClick={onStart} data-testid="import-start">
            {state.phase === 'finished' ? 'Import again' : 'Start'}
          </Button>
        )}
        <Button onClick={onClose} disabled={busy} data-testid="import-close">
          Close
        </Button>
      </DialogActions>
    </Dialog>
  )
}
