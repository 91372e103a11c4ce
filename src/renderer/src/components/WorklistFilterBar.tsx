/** Filter and sort controls above the worklist; every change goes straight to the store. */
import { memo, useState } from 'react'
import { MenuItem, Stack, TextField, Typography } from '@mui/material'
import { CASE_STATUSES, type CaseStatus, type WorklistSort } from '../../../shared/domain'
import { useDebouncedCallback } from '../hooks/useDebouncedCallback'
import { useStoreSelector } from '../hooks/useStoreSelector'
import type { HasBoxesFilter, WorklistStore } from '../stores/worklistStore'

const SORTS: { value: WorklistSort; label: string }[] = [
  { value: 'image', label: 'Image' },
  { value: 'imported', label: 'Imported' },
  { value: 'age', label: 'Age' },
  { value: 'status', label: 'Status' },
  { value: 'boxes', label: 'Boxes' },
]

const ANY = '__any__'

export function statusLabel(status: CaseStatus): string {
  return status === 'in_review' ? 'In review' : status === 'reviewed' ? 'Reviewed' : 'New'
}

/** Memoized and reading only its slice: opening a case or moving the selection leaves it alone. */
export const WorklistFilterBar = memo(function WorklistFilterBar({ store }: { store: WorklistStore }) {
  const { filters, findings, total } = useStoreSelector(store, (s) => ({ filters: s.filters, findings: s.findings, total: s.total }))
  const [search, setSearch] = useState(filters.search)
  const applySearch = useDebouncedCallback((value: string) => store.setFilters({ search: value }), 300)

  return (
    <Stack spacing={1} sx={{ p: 1, borderBottom: 1, borderColor: 'divider' }} data-testid="worklist-filters">
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <TextField
          size="small"
          label="Search image name"
          value={search}
          onChange={(event) => {
            setSearch(event.target.value)
            applySearch(event.target.value)
          }}
          sx={{ flex: 1 }}
          slotProps={{ htmlInput: { 'data-testid': 'worklist-search', maxLength: 128 } }}
        />
        <TextField
          select
          size="small"
          label="Finding"
          value={filters.finding ?? ANY}
          onChange={(event) => store.setFilters({ finding: event.target.value === ANY ? null : event.target.value })}
          sx={{ width: 250, flexShrink: 0 }}
        >
          <MenuItem value={ANY}>Any</MenuItem>
          {/* Keep a chosen finding selectable even before the counts arrive. */}
          {filters.finding && !findings.some((f) => f.finding === filters.finding) && (
            <MenuItem value={filters.finding}>{filters.finding}</MenuItem>
          )}
          {findings.map((f) => (
            <MenuItem key={f.finding} value={f.finding}>
              {f.finding} ({f.cases})
            </MenuItem>
          ))}
        </TextField>
        <Typography variant="body2" color="text.secondary" data-testid="worklist-total" sx={{ whiteSpace: 'nowrap' }}>
          {total === null ? 'Loading…' : `${total.toLocaleString('en-US', { useGrouping: false })} ${total === 1 ? 'case' : 'cases'}`}
        </Typography>
      </Stack>
      {/* Each choice has room for its longest value ("With boxes", "In review"); the row wraps rather than cut one. */}
      <Stack direction="row" useFlexGap spacing={1} sx={{ flexWrap: 'wrap' }}>
        <TextField
          select
          size="small"
          label="Boxes"
          value={filters.hasBoxes}
          onChange={(event) => store.setFilters({ hasBoxes: event.target.value as HasBoxesFilter })}
          sx={{ flex: 1, minWidth: 136 }}
        >
          <MenuItem value="any">Any</MenuItem>
          <MenuItem value="yes">With boxes</MenuItem>
          <MenuItem value="no">No boxes</MenuItem>
        </TextField>
        <TextField
          select
          size="small"
          label="Status"
          value={filters.status ?? ANY}
          onChange={(event) => store.setFilters({ status: event.target.value === ANY ? null : (event.target.value as CaseStatus) })}
          sx={{ flex: 1, minWidth: 130 }}
        >
          <MenuItem value={ANY}>Any</MenuItem>
          {CASE_STATUSES.map((status) => (
            <MenuItem key={status} value={status}>
              {statusLabel(status)}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          select
          size="small"
          label="Sort"
          value={filters.sort}
          onChange={(event) => store.setFilters({ sort: event.target.value as WorklistSort })}
          sx={{ flex: 1, minWidth: 130 }}
        >
          {SORTS.map((sort) => (
            <MenuItem key={sort.value} value={sort.value}>
              {sort.label}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          select
          size="small"
          label="Order"
          value={filters.order}
          onChange={(event) => store.setFilters({ order: event.target.value as 'asc' | 'desc' })}
          sx={{ flex: 1, minWidth: 96 }}
        >
          <MenuItem value="asc">Asc</MenuItem>
          <MenuItem value="desc">Desc</MenuItem>
        </TextField>
      </Stack>
    </Stack>
  )
})
