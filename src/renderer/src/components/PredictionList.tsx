/**
 * The model's probabilities for every finding, highest first, each with a bar. Clicking a row
 * selects that finding, whose heatmap the canvas then shows.
 */
import { memo } from 'react'
import { Box, List, ListItemButton, Typography } from '@mui/material'
import { displayFinding } from '../../../shared/findings'
import { findingColor } from '../canvas/findingColors'
import { useStoreSelector } from '../hooks/useStoreSelector'
import type { AnalysisStore } from '../stores/analysisStore'

export const PredictionList = memo(function PredictionList({ store }: { store: AnalysisStore }) {
  const { predictions, selected, hasModels } = useStoreSelector(store, (s) => ({
    predictions: s.predictions,
    selected: s.finding,
    hasModels: !!s.models?.length,
  }))
  if (!hasModels) return null
  if (predictions.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary" data-testid="no-predictions">
        Not analysed by this model yet: Run model.
      </Typography>
    )
  }
  return (
    <List dense disablePadding data-testid="prediction-list" aria-label="Model probabilities">
      {predictions.map(({ finding, probability }) => (
        <PredictionRow
          key={finding}
          finding={finding}
          probability={probability}
          selected={finding === selected}
          onSelect={store.selectFinding}
        />
      ))}
    </List>
  )
})

const BAR_TRACK = 'rgba(255, 255, 255, 0.08)'

/** One finding: re-rendered only when its probability or selection changes. Plain divs for the bar: 14 rows per opening. */
const PredictionRow = memo(function PredictionRow({
  finding,
  probability,
  selected,
  onSelect,
}: {
  finding: string
  probability: number
  selected: boolean
  onSelect: (finding: string) => void
}) {
  return (
    <ListItemButton
      selected={selected}
      aria-selected={selected}
      onClick={() => onSelect(finding)}
      data-testid="prediction-row"
      data-finding={finding}
      data-probability={String(probability)}
      data-selected={selected ? 'true' : 'false'}
      sx={{ display: 'block', py: 0.25, px: 1, borderRadius: 1 }}
    >
      <Box sx={{ display: 'flex', justifyContent: 'space-between', gap: 1 }}>
        <Typography variant="body2" noWrap sx={{ fontWeight: selected ? 600 : 400 }}>
          {displayFinding(finding)}
        </Typography>
        <Typography variant="body2" sx={{ fontFamily: 'monospace' }}>
          {(probability * 100).toFixed(1)}%
        </Typography>
      </Box>
      <div style={{ height: 4, background: BAR_TRACK, borderRadius: 2, overflow: 'hidden' }}>
        <div
          style={{
            height: '100%',
            width: `${Math.max(0, Math.min(1, probability)) * 100}%`,
            background: findingColor(finding),
            borderRadius: 2,
          }}
        />
      </div>
    </ListItemButton>
  )
})
