/**
 * Backups of the case database, newest first, with what made each, when, and its size; restoring
 * one asks for confirmation first and says that the current database is saved before it is replaced.
 */
import { useEffect } from 'react'
import {
  Alert,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  LinearProgress,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@mui/material'
import type { BackupInfo } from '../../../shared/domain'
import { useBackupState, type BackupStore } from '../stores/backupStore'

const KIND_LABELS: Record<BackupInfo['kind'], string> = {
  scheduled: 'Daily',
  'pre-migration': 'Before an upgrade',
  'pre-restore': 'Before a restore',
  manual: 'Manual',
}

export const formatWhen = (iso: string) => new Date(iso).toLocaleString()
export const formatSize = (bytes: number) =>
  bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} kB`

/** The confirmation step shared by the dialog and the recovery screen. */
export function RestoreConfirm({ store }: { store: BackupStore }) {
  const { confirming, restoring } = useBackupState(store)
  if (!confirming) return null
  return (
    <Dialog open onClose={restoring ? undefined : () => store.dismiss()} data-testid="restore-confirm">
      <DialogTitle>Restore this backup?</DialogTitle>
      <DialogContent>
        <DialogContentText>
          The case database is replaced by the {KIND_LABELS[confirming.kind].toLowerCase()} backup of {formatWhen(confirming.createdAt)}.
          Work saved after it is not in it. The current database is saved first (as a “before a restore” backup, and its file is kept), so
          this can be undone.
        </DialogContentText>
        {restoring && <LinearProgress sx={{ mt: 2 }} />}
      </DialogContent>
      <DialogActions>
        <Button onClick={() => store.dismiss()} disabled={restoring}>
          Cancel
        </Button>
        <Button
          color="warning"
          variant="contained"
          onClick={() => void store.confirm()}
          disabled={restoring}
          data-testid="restore-confirm-button"
        >
          Restore
        </Button>
      </DialogActions>
    </Dialog>
  )
}

export function BackupsDialog({ store, onClose }: { store: BackupStore; onClose: () => void }) {
  const { backups, loading, error, restoring } = useBackupState(store)
  useEffect(() => void store.load(), [store])
  return (
    <Dialog open onClose={restoring ? undefined : onClose} fullWidth maxWidth="md">
      <DialogTitle>Backups of the case database</DialogTitle>
      <DialogContent>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
          A snapshot is taken every day (the last seven kept), before every upgrade of the database and before every restore.
        </Typography>
        {loading && <LinearProgress />}
        {error && (
          <Alert severity="error" data-testid="backups-error">
            {error}
          </Alert>
        )}
        <Table size="small" data-testid="backups-table">
          <TableHead>
            <TableRow>
              <TableCell>Taken</TableCell>
              <TableCell>Kind</TableCell>
              <TableCell align="right">Size</TableCell>
              <TableCell />
            </TableRow>
          </TableHead>
          <TableBody>
            {backups.map((backup) => (
              <TableRow key={backup.name} data-testid="backup-row" data-name={backup.name} data-kind={backup.kind}>
                <TableCell title={backup.name}>{formatWhen(backup.createdAt)}</TableCell>
                <TableCell>{KIND_LABELS[backup.kind]}</TableCell>
                <TableCell align="right">{formatSize(backup.bytes)}</TableCell>
                <TableCell align="right">
                  <Button size="small" onClick={() => store.ask(backup)} disabled={restoring} data-testid="backup-restore">
                    Restore…
                  </Button>
                </TableCell>
              </TableRow>
            ))}
            {!loading && backups.length === 0 && (
              <TableRow>
                <TableCell colSpan={4}>No backups yet.</TableCell>
              </TableRow>
            )}
          </TableBody>
        </Table>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={restoring} data-testid="backups-close">
          Close
        </Button>
      </DialogActions>
      <RestoreConfirm store={store} />
    </Dialog>
  )
}
