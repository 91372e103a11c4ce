/** Side panel of an open case: identity, then `children` (the model panel), ground-truth labels and the radiologist boxes. */
import type { ReactNode } from 'react'
import { Box, Chip, Divider, List, ListItem, ListItemText, Stack, Typography } from '@mui/material'
import type { CaseDetail } from '../../../shared/domain'
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

export function CaseDetailsPanel({ detail, children }: { detail: CaseDetail; children?: ReactNode }) {
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
        <Field name="Status" value={statusLabel(detail.status)} />
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
      <Divider sx={{ my: 1.5 }} />
      <Typography variant="subtitle2">Boxes ({detail.boxList.length})</Typography>
      <List dense disablePadding>
        {detail.boxList.map((box) => (
          <ListItem key={box.id} data-testid="case-box" disableGutters sx={{ borderLeft: 3, borderColor: findingColor(box.finding), pl: 1, my: 0.5 }}>
            <ListItemText
              primary={`${box.finding} · ${box.author}`}
              secondary={`x ${Math.round(box.x)}  y ${Math.round(box.y)}  w ${Math.round(box.w)}  h ${Math.round(box.h)}`}
            />
          </ListItem>
        ))}
      </List>
    </Box>
  )
}
