/**
 * Shown instead of the workstation when the startup quick_check found the case database damaged:
 * what is wrong, the latest backup with a one-step restore, and every other backup.
 */
import { useState } from 'react'
import { Alert, AlertTitle, Box, Button, Stack, Typography } from '@mui/material'
import type { DatabaseHealth } from '../../../shared/domain'
import type { BackupStore } from '../stores/backupStore'
import { useBackupState } from '../stores/backupStore'
import { BackupsDialog, formatSize, formatWhen, RestoreConfirm } from './BackupsDialog'

export function DatabaseRecovery({
  health,
  dataDir,
  store,
}: {
  health: Extract<DatabaseHealth, { state: 'damaged' }>
  dataDir: string
  store: BackupStore
}) {
  const [listOpen, setListOpen] = useState(false)
  const { error } = useBackupState(store)
  const latest = health.latestBackup
  return (
    <Box sx={{ p: 4, maxWidth: 900 }} data-testid="database-recovery">
      <Alert severity="error">
        <AlertTitle>The case database is damaged</AlertTitle>
        <Typography variant="body2">
          The check at startup (PRAGMA quick_check) failed for the database in {dataDir}. Nothing is read from or written to it until a
          backup is restored.
        </Typography>
        <Box component="ul" sx={{ my: 1, pl: 3 }} data-testid="database-problems">
          {health.problems.slice(0, 5).map((problem, index) => (
            <li key={index}>
              <Typography variant="body2" component="span">
                {problem}
              </Typography>
            </li>
          ))}
        </Box>
      </Alert>
      <Stack spacing={2} sx={{ mt: 3 }}>
        {latest ? (
          <Typography data-testid="latest-backup" data-name={latest.name}>
            The latest backup was taken {formatWhen(latest.createdAt)} ({formatSize(latest.bytes)}). Restoring it keeps the damaged file
            beside it.
          </Typography>
        ) : (
          <Typography data-testid="latest-backup">No backup was found in the data folder.</Typography>
        )}
        {error && <Alert severity="error">{error}</Alert>}
        <Stack direction="row" spacing={2}>
          {latest && (
            <Button variant="contained" color="warning" onClick={() => store.ask(latest)} data-testid="restore-latest">
              Restore the latest backup…
            </Button>
          )}
          <Button variant="outlined" onClick={() => setListOpen(true)} data-testid="open-backups">
            All backups…
          </Button>
        </Stack>
      </Stack>
      {!listOpen && <RestoreConfirm store={store} />}
      {listOpen && <BackupsDialog store={store} onClose={() => setListOpen(false)} />}
    </Box>
  )
}
