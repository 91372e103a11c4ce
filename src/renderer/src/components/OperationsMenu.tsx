/**
 * The top bar's menu for hospital IT: what the machine policy set (read-only: a user cannot change
 * it here or anywhere), and "Export diagnostics", which writes a bundle of logs, versions, provider
 * attempts, database health and configuration (no patient data) into the data folder's diagnostics/.
 */
import { useState } from 'react'
import {
  Alert,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Menu,
  MenuItem,
  Table,
  TableBody,
  TableCell,
  TableRow,
  Typography,
} from '@mui/material'
import type { AppInfo, DiagnosticsResult } from '../../../shared/domain'
import { errorMessage, useApi } from '../apiContext'

function policyRows(info: AppInfo): Array<[string, string]> {
  const p = info.policy
  const set = (field: string, value: string) => (p.enforced.includes(field) ? `${value} (set by policy)` : value)
  return [
    ['Policy file', p.file ?? 'none: per-user defaults'],
    ['Data folder', set('dataFolder', info.dataDir)],
    ['Pseudonym key', p.pseudonymKey ? set('pseudonymKey', p.pseudonymKey) : 'in the data folder'],
    [
      'PACS connections',
      p.pacs.length ? p.pacs.map((c) => `${c.name} (${c.url ?? `${c.aeTitle}@${c.host}:${c.port}`})`).join(', ') : 'none',
    ],
    ['Fine-tuning', set('features.fineTuning', p.features.fineTuning ? 'on' : 'off')],
    ['Browser mode', set('features.browserMode', p.features.browserMode ? 'on' : 'off')],
    ['Log level', p.logLevel ? set('logging.level', p.logLevel) : 'info (default)'],
    ['Log file', info.logFile ?? 'not written by this process'],
  ]
}

export function OperationsMenu({ appInfo }: { appInfo: AppInfo | null }) {
  const api = useApi()
  const [anchor, setAnchor] = useState<HTMLElement | null>(null)
  const [showPolicy, setShowPolicy] = useState(false)
  const [result, setResult] = useState<DiagnosticsResult | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const exportDiagnostics = async () => {
    setAnchor(null)
    setBusy(true)
    setError(null)
    try {
      setResult(await api.diagnostics.export({}))
    } catch (e) {
      setError(errorMessage(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <>
      <Button size="small" onClick={(e) => setAnchor(e.currentTarget)} data-testid="operations-menu" aria-haspopup="menu">
        More
      </Button>
      <Menu anchorEl={anchor} open={anchor !== null} onClose={() => setAnchor(null)}>
        <MenuItem
          onClick={() => {
            setAnchor(null)
            setShowPolicy(true)
          }}
          data-testid="show-policy"
        >
          Configuration…
        </MenuItem>
        <MenuItem onClick={() => void exportDiagnostics()} disabled={busy} data-testid="export-diagnostics">
          Export diagnostics
        </MenuItem>
      </Menu>
      {showPolicy && appInfo && (
        <Dialog open onClose={() => setShowPolicy(false)} data-testid="policy-dialog">
          <DialogTitle>Configuration</DialogTitle>
          <DialogContent>
            <Typography variant="body2" color="text.secondary" gutterBottom>
              Settings marked “set by policy” come from the machine policy IT placed on this workstation and cannot be changed here.
            </Typography>
            <Table size="small">
              <TableBody>
                {policyRows(appInfo).map(([name, value]) => (
                  <TableRow key={name}>
                    <TableCell>{name}</TableCell>
                    <TableCell sx={{ wordBreak: 'break-all' }}>{value}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </DialogContent>
          <DialogActions>
            <Button onClick={() => setShowPolicy(false)}>Close</Button>
          </DialogActions>
        </Dialog>
      )}
      {(result || error) && (
        <Dialog
          open
          onClose={() => {
            setResult(null)
            setError(null)
          }}
          data-testid="diagnostics-dialog"
        >
          <DialogTitle>Diagnostics</DialogTitle>
          <DialogContent>
            {error && <Alert severity="error">{error}</Alert>}
            {result && (
              <Typography variant="body2" data-testid="diagnostics-path">
                Written to {result.path} ({result.entries.length} files, {Math.max(1, Math.round(result.bytes / 1024))} kB). It holds logs,
                versions, execution provider attempts, database health and configuration, and no patient data.
              </Typography>
            )}
          </DialogContent>
          <DialogActions>
            <Button
              onClick={() => {
                setResult(null)
                setError(null)
              }}
            >
              Close
            </Button>
          </DialogActions>
        </Dialog>
      )}
    </>
  )
}
