/**
 * "Send to PACS" for the open case: its SR (the boxes drawn here) and the heatmap as a Secondary
 * Capture go into the patient's original study (pacs:push). Shown only when a PACS is configured;
 * sending needs a logged-in reader (the server refuses anyone else), whose name the SR carries.
 */
import { useEffect, useState } from 'react'
import { Alert, Button, Menu, MenuItem, Snackbar } from '@mui/material'
import type { Reader } from '../../../shared/domain'
import { useApi } from '../apiContext'

export function SendToPacsButton({ caseId, reader }: { caseId: number; reader: Reader | null }) {
  const api = useApi()
  const [targets, setTargets] = useState<string[]>([])
  const [menu, setMenu] = useState<HTMLElement | null>(null)
  const [sending, setSending] = useState(false)
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null)

  useEffect(() => {
    let live = true
    api.pacs
      .pushTargets({})
      .then((t) => live && setTargets(t.names))
      .catch(() => live && setTargets([]))
    return () => {
      live = false
    }
  }, [api])

  if (targets.length === 0) return null

  const send = async (pacs: string) => {
    setMenu(null)
    setSending(true)
    try {
      const sent = await api.pacs.push({ caseId, pacs })
      const what = [sent.sr && `SR with ${sent.boxes} box(es)`, sent.sc && 'heatmap'].filter(Boolean).join(' and ')
      setOutcome({ ok: true, text: `Sent ${what} to ${pacs}${sent.notes.length ? ` (${sent.notes.join('; ')})` : ''}` })
    } catch (error) {
      setOutcome({ ok: false, text: (error as Error).message })
    } finally {
      setSending(false)
    }
  }

  return (
    <>
      <Button
        size="small"
        variant="outlined"
        disabled={!reader || sending}
        title={reader ? "Send this case's boxes and heatmap to the patient's study in the PACS" : 'Log in to send results to the PACS'}
        data-testid="send-to-pacs"
        onClick={(event) => (targets.length === 1 ? void send(targets[0]) : setMenu(event.currentTarget))}
      >
        {sending ? 'Sending…' : 'Send to PACS'}
      </Button>
      <Menu anchorEl={menu} open={menu !== null} onClose={() => setMenu(null)}>
        {targets.map((name) => (
          <MenuItem key={name} onClick={() => void send(name)}>
            {name}
          </MenuItem>
        ))}
      </Menu>
      <Snackbar open={outcome !== null} autoHideDuration={outcome?.ok ? 6000 : null} onClose={() => setOutcome(null)}>
        <Alert severity={outcome?.ok ? 'success' : 'error'} onClose={() => setOutcome(null)}>
          {outcome?.text}
        </Alert>
      </Snackbar>
    </>
  )
}
