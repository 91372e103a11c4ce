/** Side panel of an open case: identity, then `children` (the model panel), ground-truth labels and `boxes` (the box editor). */
import { memo, type ReactNode } from 'react'
import { Box, Chip, Divider, Stack, Typography } from '@mui/material'
import type { CaseDetail, CaseStatus } from '../../../shared/domain'
import { findingColor } from '../canvas/findingColors'
import { statusLabel } from './WorklistFilterBar'

function Field({ name, value }: { name: string; value: string | number | null }) {
  return (
    <Stack direction="row" spacing={1}>
      <Typography variant="body2" color="text.secondary" sx={{ width: 72, flexShrink: 0 }}>
        {name}
      </Typography>
      <Typography variant="body2" noWrap>
        {value ?? '–'}
      </Typography>
    </Stack>
  )
}

/** Identity and demographics; memoized, it renders when the record or the status changes. */
const CaseIdentity = memo(function CaseIdentity({ detail, status }: { detail: CaseDetail | null; status: CaseStatus }) {
  return (
    <>
      <Typography variant="subtitle1" sx={{ fontFamily: 'monospace', wordBreak: 'break-all' }} data-testid="case-image-name">
        {detail?.image ?? '…'}
      </Typography>
      <Stack spacing={0.25} sx={{ mt: 1 }}>
        <Field name="Size" value={detail && `${detail.width}×${detail.height}`} />
        <Field name="Patient" value={detail?.patient ?? null} />
        <Field name="Age" value={detail?.age ?? null} />
        <Field name="Sex" value={detail?.sex ?? null} />
        <Field name="View" value={detail?.view ?? null} />
        <Field name="Status" value={statusLabel(status)} />
      </Stack>
    </>
  )
})

const CaseLabels = memo(function CaseLabels({ detail }: { detail: CaseDetail | null }) {
  return (
    <>
      <Typography variant="subtitle2" gutterBottom>
        Ground-truth labels
      </Typography>
      <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 0.5 }}>
        {detail?.labels.length === 0 && (
          <Typography variant="body2" color="text.secondary">
            None
          </Typography>
        )}
        {detail?.labels.map((label) => (
          <Chip
            key={`${label.finding}-${label.source}-${label.author}`}
            data-testid="case-label"
            label={label.finding}
            title={`${label.source} · ${label.author}`}
            variant="outlined"
            sx={{ borderColor: findingColor(label.finding) }}
          />
        ))}
      </Stack>
    </>
  )
})

const DIVIDER_SX = { my: 1.5 }

/**
 * `detail` is null while the case loads (the panel stays, its fields empty); `status` is the live
 * review status (the detail's is as loaded); `boxes` is the editable box section.
 */
export function CaseDetailsPanel({ detail, status, children, boxes }: { detail: CaseDetail | null; status: CaseStatus; children?: ReactNode; boxes?: ReactNode }) {
  return (
    <Box sx={{ width: 320, flexShrink: 0, overflow: 'auto', borderLeft: 1, borderColor: 'divider', p: 1.5 }}>
      <CaseIdentity detail={detail} status={status} />
      {children && (
        <>
          <Divider sx={DIVIDER_SX} />
          {children}
        </>
      )}
      <Divider sx={DIVIDER_SX} />
      <CaseLabels detail={detail} />
      {boxes && (
        <>
          <Divider sx={DIVIDER_SX} />
          {boxes}
        </>
      )}
    </Box>
  )
}
