/**
 * The virtualized worklist: only the rows in view are in the DOM, and the store fetches the pages
 * they fall in. ArrowUp/ArrowDown move the selection, Enter or a click opens the case.
 */
import { memo, useCallback, useDeferredValue, useEffect, useRef, type KeyboardEvent } from 'react'
import { Alert, Box, Chip, Stack, Typography } from '@mui/material'
import { useVirtualizer } from '@tanstack/react-virtual'
import type { WorklistRow } from '../../../shared/domain'
import { displayFinding } from '../../../shared/findings'
import { findingColor } from '../canvas/findingColors'
import { DEFAULT_FILTERS, useWorklistState, type WorklistStore } from '../stores/worklistStore'
import { OodChip } from './OodMarks'
import { statusLabel } from './WorklistFilterBar'

const ROW_HEIGHT = 52
// Sized so that nothing is cut at the 660 px worklist: a 16-character image name in monospace, up to
// two lines of finding chips (more collapse into a "+N" chip whose tooltip names them), the model's
// top 3 with the longest finding name, and the "In review" chip.
const COLUMNS = '146px minmax(150px, 1fr) 168px 44px 80px'
/** Finding chips shown before the rest collapse into "+N" (two lines of the findings column). */
const MAX_CHIPS = 4
const CHIP_SX = { height: 20, '& .MuiChip-label': { px: 0.75, fontSize: 11 } } as const
const STATUS_COLORS = { new: 'default', in_review: 'warning', reviewed: 'success' } as const

function demographics(row: WorklistRow): string {
  return [row.age ?? '–', row.sex ?? '–', row.view ?? '–'].join(' / ')
}

/** A row's cells (chips: most of a row's rendering), rendered again only when the row itself changed, not its highlight. */
const RowCells = memo(function RowCells({ row }: { row: WorklistRow }) {
  return (
    <>
      <Box sx={{ minWidth: 0 }}>
        <Typography variant="body2" noWrap title={row.image} sx={{ fontFamily: 'monospace' }}>
          {row.image}
        </Typography>
        <Typography variant="caption" color="text.secondary" noWrap component="div">
          {demographics(row)}
        </Typography>
      </Box>
      <Stack
        direction="row"
        sx={{ flexWrap: 'wrap', gap: 0.25, minWidth: 0, maxHeight: 44, overflow: 'hidden' }}
        data-testid="worklist-findings"
      >
        {row.findings.slice(0, row.findings.length > MAX_CHIPS ? MAX_CHIPS - 1 : MAX_CHIPS).map((finding) => (
          <Chip
            key={finding}
            label={displayFinding(finding)}
            title={displayFinding(finding)}
            variant="outlined"
            sx={{ ...CHIP_SX, borderColor: findingColor(finding) }}
          />
        ))}
        {row.findings.length > MAX_CHIPS && (
          <Chip
            label={`+${row.findings.length - MAX_CHIPS + 1}`}
            title={row.findings
              .slice(MAX_CHIPS - 1)
              .map(displayFinding)
              .join(', ')}
            variant="outlined"
            sx={CHIP_SX}
          />
        )}
      </Stack>
      <Box sx={{ minWidth: 0 }} title="Model's top findings" data-testid="worklist-top-findings">
        {row.topFindings.slice(0, 3).map(({ finding, probability }) => (
          <Typography key={finding} variant="caption" noWrap component="div" sx={{ lineHeight: 1.25 }}>
            <Box component="span" sx={{ color: findingColor(finding) }}>
              ■
            </Box>{' '}
            {displayFinding(finding)} {(probability * 100).toFixed(0)}%
          </Typography>
        ))}
      </Box>
      <Typography variant="body2" sx={{ textAlign: 'right', whiteSpace: 'nowrap' }} title="Boxes: mine / others">
        {row.myBoxes} / {row.otherBoxes}
      </Typography>
      <Stack spacing={0.25} sx={{ alignItems: 'flex-start', minWidth: 0 }}>
        <Chip
          size="small"
          label={statusLabel(row.status)}
          title={statusLabel(row.status)}
          color={STATUS_COLORS[row.status]}
          variant={row.status === 'new' ? 'outlined' : 'filled'}
          sx={{ '& .MuiChip-label': { px: 0.75 } }}
        />
        <OodChip ood={row.ood} />
      </Stack>
    </>
  )
})

interface RowViewProps {
  row: WorklistRow | undefined
  index: number
  start: number
  selected: boolean
  open: boolean
  onOpen: (index: number) => void
}

/** One row; memoized, so a new selection re-renders the two rows it concerns, not the whole page. */
const WorklistRowView = memo(function WorklistRowView({ row, index, start, selected, open, onOpen }: RowViewProps) {
  return (
    <Box
      role="option"
      aria-selected={selected}
      data-testid={row ? 'worklist-row' : undefined}
      data-image={row?.image}
      data-boxes={row?.boxes}
      data-status={row?.status}
      data-my-boxes={row?.myBoxes}
      data-other-boxes={row?.otherBoxes}
      data-ood={row?.ood?.flagged ? 'flagged' : undefined}
      data-index={index}
      onClick={() => onOpen(index)}
      sx={{
        position: 'absolute',
        top: 0,
        left: 0,
        right: 0,
        height: ROW_HEIGHT,
        transform: `translateY(${start}px)`,
        display: 'grid',
        gridTemplateColumns: COLUMNS,
        gap: 1,
        alignItems: 'center',
        px: 1,
        cursor: 'pointer',
        borderBottom: 1,
        borderColor: 'divider',
        bgcolor: selected ? 'action.selected' : open ? 'action.focus' : 'transparent',
        '&:hover': { bgcolor: selected ? 'action.selected' : 'action.hover' },
      }}
    >
      {row ? (
        <RowCells row={row} />
      ) : (
        <Typography variant="body2" color="text.disabled">
          Loading…
        </Typography>
      )}
    </Box>
  )
})

const HEADER_TITLES = ['Image · Age/Sex/View', 'Findings', 'Model top 3', 'Boxes', 'Status']

const WorklistHeader = memo(function WorklistHeader() {
  return (
    <Box sx={{ display: 'grid', gridTemplateColumns: COLUMNS, gap: 1, px: 1, py: 0.5, borderBottom: 1, borderColor: 'divider' }}>
      {HEADER_TITLES.map((title) => (
        <Typography key={title} variant="caption" color="text.secondary" noWrap>
          {title}
        </Typography>
      ))}
    </Box>
  )
})

export const WorklistTable = memo(function WorklistTable({ store }: { store: WorklistStore }) {
  const state = useWorklistState(store)
  const scrollRef = useRef<HTMLDivElement>(null)
  const virtualizer = useVirtualizer({
    count: state.total ?? 0,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    useFlushSync: false,
  })
  const items = virtualizer.getVirtualItems()
  // The highlight of the selected and open rows follows in a deferred render: a click's urgent
  // render goes to opening the case (image and map first, see CaseView), not to the rows' styles.
  const selectedIndex = useDeferredValue(state.selectedIndex)
  const openCaseId = useDeferredValue(state.openCaseId)
  const first = items[0]?.index ?? 0
  const last = items.at(-1)?.index ?? 0

  useEffect(() => {
    store.ensureRange(first, last)
  }, [store, first, last, state.generation])

  // A new filter starts again at the top.
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 })
  }, [state.filters])

  function openIndex(index: number): void {
    const row = store.rowAt(index)
    if (row) store.openCase(row.id)
  }
  const onRowClick = useCallback(
    (index: number) => {
      store.select(index)
      const row = store.rowAt(index)
      if (row) store.openCase(row.id)
      scrollRef.current?.focus()
    },
    [store],
  )

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>): void {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault()
      const index = store.moveSelection(event.key === 'ArrowDown' ? 1 : -1)
      if (index >= 0) virtualizer.scrollToIndex(index, { align: 'auto' })
    } else if (event.key === 'Enter' && state.selectedIndex >= 0) {
      event.preventDefault()
      openIndex(state.selectedIndex)
    }
  }

  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', flex: 1, minHeight: 0 }}>
      {state.error && (
        <Alert severity="error" sx={{ m: 1 }}>
          {state.error}
        </Alert>
      )}
      <WorklistHeader />
      <Box
        ref={scrollRef}
        data-testid="worklist"
        tabIndex={0}
        role="listbox"
        aria-label="Worklist"
        onKeyDown={onKeyDown}
        sx={{ flex: 1, minHeight: 0, overflow: 'auto', outline: 'none', '&:focus-visible': { boxShadow: 'inset 0 0 0 1px #64b5f6' } }}
      >
        <Box sx={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const row = store.rowAt(item.index)
            return (
              <WorklistRowView
                key={item.key}
                row={row}
                index={item.index}
                start={item.start}
                selected={item.index === selectedIndex}
                open={row !== undefined && row.id === openCaseId}
                onOpen={onRowClick}
              />
            )
          })}
        </Box>
        {/* An empty store without filters gets the first-run offer above it (EmptyWorklist) instead. */}
        {state.total === 0 && JSON.stringify(state.filters) !== JSON.stringify(DEFAULT_FILTERS) && (
          <Typography color="text.secondary" sx={{ p: 2 }} data-testid="worklist-no-match">
            No cases match. Import a dataset or relax the filters.
          </Typography>
        )}
      </Box>
    </Box>
  )
})
