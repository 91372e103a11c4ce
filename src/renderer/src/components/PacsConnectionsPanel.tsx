/**
 * The PACS screen's connections: each listed with its URL and how it authenticates (never its
 * secret), "Test" for everyone, add and remove for administrators. Connections the machine policy
 * sets are marked and cannot be removed here.
 */
import { useState } from 'react'
import { Alert, Box, Button, Chip, MenuItem, Stack, TextField, Typography } from '@mui/material'
import type { PacsAuthKind, PacsConnectionInfo, PacsTestResult } from '../../../shared/pacs'
import { errorMessage, useApi } from '../apiContext'

export interface PacsConnectionsPanelProps {
  connections: PacsConnectionInfo[]
  selected: string
  onSelect: (name: string) => void
  administrator: boolean
  onChanged: () => void
}

export function PacsConnectionsPanel({ connections, selected, onSelect, administrator, onChanged }: PacsConnectionsPanelProps) {
  const api = useApi()
  const [test, setTest] = useState<PacsTestResult | null>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [adding, setAdding] = useState(false)
  const [draft, setDraft] = useState({ name: '', url: '', auth: 'basic' as PacsAuthKind, user: '', secret: '' })
  const current = connections.find((c) => c.name === selected) ?? null

  const run = async (work: () => Promise<void>) => {
    setBusy(true)
    setError(null)
    try {
      await work()
    } catch (e) {
      setError(errorMessage(e))
    } finally {
      setBusy(false)
    }
  }

  const add = () =>
    run(async () => {
      const added = await api.pacs.add({
        name: draft.name.trim(),
        url: draft.url.trim(),
        auth: draft.auth,
        ...(draft.auth === 'basic' && draft.user.trim() ? { user: draft.user.trim() } : {}),
        ...(draft.auth !== 'none' && draft.secret ? { secret: draft.secret } : {}),
      })
      setDraft({ name: '', url: '', auth: 'basic', user: '', secret: '' })
      setAdding(false)
      onChanged()
      onSelect(added.name)
    })

  return (
    <Box data-testid="pacs-connections">
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <TextField
          select
          size="small"
          label="PACS"
          value={current ? current.name : ''}
          onChange={(e) => {
            setTest(null)
            onSelect(e.target.value)
          }}
          sx={{ minWidth: 260 }}
          slotProps={{ htmlInput: { 'data-testid': 'pacs-connection-select' } }}
        >
          {connections.map((c) => (
            <MenuItem key={c.name} value={c.name} data-testid="pacs-connection-option">
              {c.name}
              {c.source === 'policy' ? ' (set by policy)' : ''}
            </MenuItem>
          ))}
        </TextField>
        <Button
          size="small"
          disabled={!current || busy}
          onClick={() => current && void run(async () => setTest(await api.pacs.test({ name: current.name })))}
          data-testid="pacs-test"
        >
          Test
        </Button>
        {administrator && current?.source === 'user' && (
          <Button
            size="small"
            color="warning"
            disabled={busy}
            onClick={() =>
              void run(async () => {
                await api.pacs.remove({ name: current.name })
                setTest(null)
                onChanged()
              })
            }
            data-testid="pacs-remove"
          >
            Remove
          </Button>
        )}
        {administrator && (
          <Button size="small" disabled={busy} onClick={() => setAdding((a) => !a)} data-testid="pacs-add-open">
            Add PACS…
          </Button>
        )}
      </Stack>
      {current && (
        <Typography variant="caption" color="text.secondary" component="div" sx={{ mt: 0.5 }} data-testid="pacs-connection-info">
          {current.url} · {current.auth === 'basic' ? `basic (user ${current.user})` : current.auth}
          {current.source === 'policy' && <Chip size="small" label="set by policy" sx={{ ml: 1 }} />}
        </Typography>
      )}
      {connections.length === 0 && (
        <Typography variant="body2" color="text.secondary" sx={{ mt: 1 }}>
          No PACS configured.{' '}
          {administrator ? 'Add one below.' : 'An administrator adds one here (or with cxr-lens pacs add, or IT in the machine policy).'}
        </Typography>
      )}
      {test && (
        <Alert severity={test.ok ? 'success' : 'error'} sx={{ mt: 1 }} data-testid="pacs-test-result" data-ok={String(test.ok)}>
          {test.steps.map((s) => `${s.ok ? '✓' : '✗'} ${s.step}`).join('  ')} — {test.message}
        </Alert>
      )}
      {error && (
        <Alert severity="error" sx={{ mt: 1 }} data-testid="pacs-connection-error">
          {error}
        </Alert>
      )}
      {adding && administrator && (
        <Stack spacing={1} sx={{ mt: 1, p: 1, border: 1, borderColor: 'divider', borderRadius: 1 }} data-testid="pacs-add-form">
          <Stack direction="row" spacing={1}>
            <TextField
              size="small"
              label="Name"
              value={draft.name}
              onChange={(e) => setDraft({ ...draft, name: e.target.value })}
              slotProps={{ htmlInput: { 'data-testid': 'pacs-add-name' } }}
            />
            <TextField
              size="small"
              label="DICOMweb root URL"
              placeholder="http://pacs:8042/dicom-web"
              fullWidth
              value={draft.url}
              onChange={(e) => setDraft({ ...draft, url: e.target.value })}
              slotProps={{ htmlInput: { 'data-testid': 'pacs-add-url', spellCheck: false } }}
            />
          </Stack>
          <Stack direction="row" spacing={1}>
            <TextField
              select
              size="small"
              label="Authentication"
              value={draft.auth}
              onChange={(e) => setDraft({ ...draft, auth: e.target.value as PacsAuthKind })}
              sx={{ minWidth: 140 }}
              slotProps={{ htmlInput: { 'data-testid': 'pacs-add-auth' } }}
            >
              <MenuItem value="none">none</MenuItem>
              <MenuItem value="basic">basic</MenuItem>
              <MenuItem value="bearer">bearer token</MenuItem>
            </TextField>
            {draft.auth === 'basic' && (
              <TextField
                size="small"
                label="User"
                value={draft.user}
                onChange={(e) => setDraft({ ...draft, user: e.target.value })}
                slotProps={{ htmlInput: { 'data-testid': 'pacs-add-user' } }}
              />
            )}
            {draft.auth !== 'none' && (
              <TextField
                size="small"
                type="password"
                label={draft.auth === 'basic' ? 'Password' : 'Token'}
                value={draft.secret}
                onChange={(e) => setDraft({ ...draft, secret: e.target.value })}
                helperText="Kept sealed on this workstation; never shown again"
                slotProps={{ htmlInput: { 'data-testid': 'pacs-add-secret', autoComplete: 'new-password' } }}
              />
            )}
          </Stack>
          <Box>
            <Button
              variant="contained"
              size="small"
              disabled={busy || !draft.name.trim() || !draft.url.trim()}
              onClick={() => void add()}
              data-testid="pacs-add-submit"
            >
              Add
            </Button>
          </Box>
        </Stack>
      )}
    </Box>
  )
}
