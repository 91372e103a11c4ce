/** What an import did: counts, per-file failures and throughput. */
import { Alert, Box, List, ListItem, ListItemText, Typography } from '@mui/material'
import type { ImportFailure } from '../../../shared/domain'
import type { JobStatusOf } from '../../../shared/jobs'

function FailureList({ title, failures }: { title: string; failures: readonly ImportFailure[] }) {
  if (failures.length === 0) return null
  return (
    <Box>
      <Typography variant="subtitle2">{title}</Typography>
      <List dense sx={{ maxHeight: 160, overflow: 'auto' }}>
        {failures.map((failure, index) => (
          <ListItem key={`${failure.name}-${index}`} data-testid="import-failure" disableGutters>
            <ListItemText primary={failure.name} secondary={failure.reason} />
          </ListItem>
        ))}
      </List>
    </Box>
  )
}

export function ImportSummaryView({ status }: { status: JobStatusOf<'import' | 'importDicom' | 'pacsPull'> }) {
  const summary = status.result
  return (
    <Box data-testid="import-summary" data-state={status.state}>
      {status.state === 'failed' && <Alert severity="error">Import failed: {status.error ?? 'unknown error'}</Alert>}
      {status.state === 'cancelled' && <Alert severity="warning">Import cancelled{summary ? '; the cases below were kept.' : '.'}</Alert>}
      {status.state === 'succeeded' && <Alert severity="success">Import finished.</Alert>}
      {summary && (
        <Box sx={{ mt: 1 }}>
          <Typography data-testid="import-summary-counts">
            imported {summary.imported}, duplicates {summary.duplicates}, failed {summary.failed.length}, missing {summary.missing.length},
            boxes added {summary.boxesAdded}
          </Typography>
          <Typography variant="body2" color="text.secondary">
            Scanned {summary.scanned} files · {summary.labelsAdded} labels added · {summary.unlabelled.length} images without labels ·{' '}
            {summary.boxesSkipped.length} boxes skipped
          </Typography>
          <Typography variant="body2" color="text.secondary">
            {summary.seconds.toFixed(1)} s · {summary.imagesPerSecond.toFixed(1)} images/s
          </Typography>
          {summary.warnings && summary.warnings.length > 0 && (
            <Alert severity="warning" sx={{ mt: 1 }} data-testid="import-warnings">
              {summary.warnings.map((warning, index) => (
                <Typography key={index} variant="body2" data-testid="import-warning">
                  {warning}
                </Typography>
              ))}
            </Alert>
          )}
          <FailureList title="Failed files" failures={summary.failed} />
          <FailureList title="Skipped boxes" failures={summary.boxesSkipped} />
        </Box>
      )}
    </Box>
  )
}
