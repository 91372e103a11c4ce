/** Side panel of an open case: identity, then `children` (the model panel), ground-truth labels and `boxes` (the box editor). */
import type { ReactNode } from 'react'
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

/** `status` is the live review status (the detail's is as loaded); `boxes` is the editable box section. */
export function CaseDetailsPanel({ detail, status, children, boxes }: { detail: CaseDetail; status: CaseStatus; children?: ReactNode; boxes?: ReactNode }) {
  return (
    <Box sx={{ width: 320, flexShrink: 0, overflow: 'auto', borderLeft: 1, borderColor: 'divider', p: 1.5 }}>
      <Typography variant="subtitle1" sx={{ fontFamily: 'monospace', wordBreak: 'break-all' }} data-testid="case-image-name">
        {detail.image}
      </Typography>
      <Stack spacing={0.25} sx={{ mt: 1 }}>
        <Field name="Size" value={`${detail.width}×${detail.height}`} />
        <Field name="Patient" value={detail.patient} />
        <Field name="Age" value={detail.age} />
        <Field name="Sex" value={detail.sex} />
        <Field name="View" value={detail.view} />
        <Field name="Status" value={statusLabel(status)} />
      </Stack>
      {children && (
        <>
          <Divider sx={{ my: 1.5 }} />
          {children}
        </>
      )}
      <Divider sx={{ my: 1.5 }} />
      <Typography variant="subtitle2" gutterBottom>
        Ground-truth labels
      </Typography>
      <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 0.5 }}>
        {detail.labels.length === 0 && (
          <Typography variant="body2" color="text.secondary">
            None
          </Typography>
        )}
        {detail.labels.map((label) => (
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
      {boxes && (
        <>
          <Divider sx={{ my: 1.5 }} />
          {boxes}
        </>
      )}
    </Box>
  )
}
