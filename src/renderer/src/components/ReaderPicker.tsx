/**
 * Reader picker. Deliberately NOT a modal dialog: a banner under the app bar, so the worklist and
 * viewer stay usable for looking; a reader is only required once the user writes (draws a box,
 * marks a case reviewed, edits a heatmap), and then the banner reappears with the reason.
 * Choosing a reader asks for its secret; a new radiologist can enrol here with a secret of their own.
 * A clinical advisor or an administrator is made on the workstation (`cxr-lens readers add`), or
 * here by a reader logged in as an administrator.
 */
import { memo, useState } from 'react'
import { Alert, Box, Button, Paper, Stack, TextField, Typography } from '@mui/material'
import type { ReaderRole } from '../../../shared/domain'
import { useReaderState, type ReaderStore } from '../stores/readerStore'

export const ROLE_LABELS: Record<ReaderRole, string> = { radiologist: 'Radiologist', clinical_advisor: 'Clinical advisor' }

export const ReaderPicker = memo(function ReaderPicker({ store }: { store: ReaderStore }) {
  const { readers, current, selected, pickerOpen, prompt, error, busy } = useReaderState(store)
  const [secret, setSecret] = useState('')
  const [name, setName] = useState('')
  const [role, setRole] = useState<ReaderRole>('radiologist')
  const [newSecret, setNewSecret] = useState('')
  if (!pickerOpen) return null
  const administrator = current?.administrator ?? false

  async function login(): Promise<void> {
    if (!secret) return
    await store.login(secret)
    setSecret('') // never kept, whether it worked or not
  }

  async function create(): Promise<void> {
    if (!name.trim() || !newSecret) return
    const reader = await store.create(name.trim(), administrator ? role : 'radiologist', newSecret)
    setNewSecret('')
    if (reader) setName('')
  }

  return (
    <Paper
      square
      elevation={2}
      data-testid="reader-dialog"
      role="dialog"
      aria-label="Choose reader"
      sx={{ px: 2, py: 1, borderBottom: 1, borderColor: 'divider' }}
    >
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1 }}>
        <Typography variant="subtitle2">{prompt ?? (current ? `Logged in as ${current.name}` : 'Who is reading?')}</Typography>
        {readers.map((reader) => (
          <Button
            key={reader.id}
            size="small"
            variant={reader.id === (selected?.id ?? current?.id) ? 'contained' : 'outlined'}
            data-testid="reader-option"
            data-reader-id={reader.id}
            data-reader-name={reader.name}
            onClick={() => store.select(reader)}
          >
            {reader.name} · {ROLE_LABELS[reader.role]}
          </Button>
        ))}
        {selected && selected.hasSecret && selected.id !== current?.id && (
          <>
            <TextField
              size="small"
              type="password"
              label={`Secret of ${selected.name}`}
              value={secret}
              autoFocus
              onChange={(event) => setSecret(event.target.value)}
              onKeyDown={(event) => event.key === 'Enter' && void login()}
              slotProps={{ htmlInput: { 'data-testid': 'reader-secret', autoComplete: 'current-password', maxLength: 1024 } }}
            />
            <Button variant="contained" size="small" disabled={!secret || busy} onClick={() => void login()} data-testid="reader-login">
              Log in
            </Button>
          </>
        )}
        {current && (
          <Button size="small" onClick={() => void store.logout()} data-testid="reader-logout">
            Log out
          </Button>
        )}
        <Box sx={{ flex: 1 }} />
        <TextField
          size="small"
          label="New reader"
          value={name}
          onChange={(event) => setName(event.target.value)}
          slotProps={{ htmlInput: { 'data-testid': 'reader-name', maxLength: 80 } }}
        />
        <TextField
          select
          size="small"
          label="Role"
          value={administrator ? role : 'radiologist'}
          onChange={(event) => setRole(event.target.value as ReaderRole)}
          title={administrator ? undefined : 'A clinical advisor is made by an administrator: cxr-lens readers add on the workstation'}
          slotProps={{ select: { native: true }, htmlInput: { 'data-testid': 'reader-role' } }}
        >
          <option value="radiologist">{ROLE_LABELS.radiologist}</option>
          <option value="clinical_advisor" disabled={!administrator}>
            {ROLE_LABELS.clinical_advisor}
          </option>
        </TextField>
        <TextField
          size="small"
          type="password"
          label="Their secret (8+ characters)"
          value={newSecret}
          onChange={(event) => setNewSecret(event.target.value)}
          onKeyDown={(event) => event.key === 'Enter' && void create()}
          slotProps={{ htmlInput: { 'data-testid': 'reader-new-secret', autoComplete: 'new-password', maxLength: 1024 } }}
        />
        <Button
          variant="contained"
          size="small"
          disabled={!name.trim() || !newSecret || busy}
          onClick={() => void create()}
          data-testid="reader-create"
        >
          Create
        </Button>
        <Button size="small" onClick={store.closePicker}>
          Later
        </Button>
      </Stack>
      {selected && !selected.hasSecret && (
        <Alert severity="info" sx={{ mt: 1 }} data-testid="reader-no-secret">
          {selected.name} has no secret yet and cannot log in. An administrator sets one on the workstation:{' '}
          <code>cxr-lens readers set-secret --id {selected.id}</code> (the secret is read from standard input).
        </Alert>
      )}
      {error && (
        <Alert severity="error" sx={{ mt: 1 }} data-testid="reader-error">
          {error}
        </Alert>
      )}
    </Paper>
  )
})
