/**
 * The open case's identity for the reading panel's header (name, demographics and status on two
 * lines) and its ground-truth labels (in the findings section).
 */
import { memo } from 'react'
import { Chip, Stack, Typography } from '@mui/material'
import type { CaseDetail, CaseStatus } from '../../../shared/domain'
import { displayFinding } from '../../../shared/findings'
import { findingColor } from '../canvas/findingColors'
import { statusLabel } from './WorklistFilterBar'

const dash = (v: string | number | null | undefined): string => (v === null || v === undefined || v === '' ? '–' : String(v))

/** Identity and demographics; memoized, it renders when the record or the status changes. */
export const CaseIdentity = memo(function CaseIdentity({ detail, status }: { detail: CaseDetail | null; status: CaseStatus }) {
  const facts = detail
    ? `${detail.width}×${detail.height} · patient ${dash(detail.patient)} · ${dash(detail.age)} ${dash(detail.sex)} ${dash(detail.view)}`
    : '…'
  return (
    <>
      <Typography
        variant="subtitle1"
        sx={{ fontFamily: 'monospace', wordBreak: 'break-all', lineHeight: 1.3 }}
        data-testid="case-image-name"
      >
        {detail?.image ?? '…'}
      </Typography>
      <Typography variant="caption" color="text.secondary" component="div" data-testid="case-facts">
        {facts} · <span data-testid="case-status-text">{statusLabel(status)}</span>
      </Typography>
    </>
  )
})

export const CaseLabels = memo(function CaseLabels({ detail }: { detail: CaseDetail | null }) {
  return (
    <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 0.5, alignItems: 'center' }}>
      <Typography variant="caption" color="text.secondary">
        Labels:
      </Typography>
      {detail?.labels.length === 0 && (
        <Typography variant="caption" color="text.secondary">
          none
        </Typography>
      )}
      {detail?.labels.map((label) => (
        <Chip
          key={`${label.finding}-${label.source}-${label.author}`}
          data-testid="case-label"
          size="small"
          label={displayFinding(label.finding)}
          title={`${label.source} · ${label.author}`}
          variant="outlined"
          sx={{ borderColor: findingColor(label.finding) }}
        />
      ))}
    </Stack>
  )
})
