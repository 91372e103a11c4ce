/**
 * Reader picker. Deliberately NOT a modal dialog: a banner under the app bar, so the worklist and
 * viewer stay usable for looking; a reader is only required once the user writes (draws a box,
 * marks a case reviewed, edits a heatmap), and then the banner reappears with the reason.
 */
import { memo, useState } from 'react'
import { Alert, Box, Button, Paper, Stack, TextField, Typography } from '@mui/material'
import type { ReaderRole } from '../../../shared/domain'
import { useReaderState, type ReaderStore } from '../stores/readerStore'

export const ROLE_LABELS: Record<ReaderRole, string> = { radiologist: 'Radiologist', clinical_advisor: 'Clinical advisor' }

export const ReaderPicker = memo(function ReaderPicker({ store }: { store: ReaderStore }) {
  const { readers, current, pickerOpen, prompt, error } = useReaderState(store)
  const [name, setName] = useState('')
  const [role, setRole] = useState<ReaderRole>('radiologist')
  if (!pickerOpen) return null

  async function create(): Promise<void> {
    if (name.trim() && (await store.create(name.trim(), role))) setName('')
  }

  return (
    <Paper square elevation={2} data-testid="reader-dialog" role="dialog" aria-label="Choose reader" sx={{ px: 2, py: 1, borderBottom: 1, borderColor: 'divider' }}>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1 }}>
        <Typography variant="subtitle2">{prompt ?? 'Who is reading?'}</Typography>
        {readers.map((reader) => (
          <Button
            key={reader.id}
            size="small"
            variant={reader.id === current?.id ? 'contained' : 'outlined'}
            data-testid="reader-option"
            data-reader-id={reader.id}
            onClick={() => store.choose(reader)}
          >
            {reader.name} · {ROLE_LABELS[reader.role]}
          </Button>
        ))}
        <Box sx={{ flex: 1 }} />
        <TextField
          size="small"
          label="New reader"
          value={name}
          onChange={(event) => setName(event.target.value)}
          onKeyDown={(event) => event.key === 'Enter' && void create()}
          slotProps={{ htmlInput: { 'data-testid': 'reader-name', maxLength: 80 } }}
        />
        <TextField
          select
          size="small"
          label="Role"
          value={role}
          onChange={(event) => setRole(event.target.value as ReaderRole)}
          slotProps={{ select: { native: true }, htmlInput: { 'data-testid': 'reader-role' } }}
        >
          <option value="radiologist">{ROLE_LABELS.radiologist}</option>
          <option value="clinical_advisor">{ROLE_LABELS.clinical_advisor}</option>
        </TextField>
        <Button variant="contained" size="small" disabled={!name.trim()} onClick={() => void create()} data-testid="reader-create">
          Create
        </Button>
        <Button size="small" onClick={store.closePicker}>
          Later
        </Button>
      </Stack>
      {error && <Alert severity="error" sx={{ mt: 1 }}>{error}</Alert>}
    </Paper>
  )
})
