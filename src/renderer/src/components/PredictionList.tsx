/**
 * The model's probabilities for every finding, highest first, each with a bar. Clicking a row
 * selects that finding, whose heatmap the canvas then shows.
 */
import { Box, List, ListItemButton, Typography } from '@mui/material'
import { findingColor } from '../canvas/findingColors'
import { useAnalysisState, type AnalysisStore } from '../stores/analysisStore'

export function PredictionList({ store }: { store: AnalysisStore }) {
  const { predictions, finding: selected, models } = useAnalysisState(store)
  if (!models?.length) return null
  if (predictions.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary" data-testid="no-predictions">
        Not analysed by this model yet: Run model.
      </Typography>
    )
  }
  return (
    <List dense disablePadding data-testid="prediction-list" aria-label="Model probabilities">
      {predictions.map(({ finding, probability }) => {
        const isSelected = finding === selected
        return (
          <ListItemButton
            key={finding}
            selected={isSelected}
            aria-selected={isSelected}
            onClick={() => store.selectFinding(finding)}
            data-testid="prediction-row"
            data-finding={finding}
            data-probability={String(probability)}
            data-selected={isSelected ? 'true' : 'false'}
            sx={{ display: 'block', py: 0.25, px: 1, borderRadius: 1 }}
          >
            <Box sx={{ display: 'flex', justifyContent: 'space-between', gap: 1 }}>
              <Typography variant="body2" noWrap sx={{ fontWeight: isSelected ? 600 : 400 }}>
                {finding}
              </Typography>
              <Typography variant="body2" sx={{ fontFamily: 'monospace' }}>
                {(probability * 100).toFixed(1)}%
              </Typography>
            </Box>
            <Box sx={{ height: 4, bgcolor: 'action.hover', borderRadius: 2, overflow: 'hidden' }}>
              <Box
                sx={{
                  height: '100%',
                  width: `${Math.max(0, Math.min(1, probability)) * 100}%`,
                  bgcolor: findingColor(finding),
                  borderRadius: 2,
                }}
              />
            </Box>
          </ListItemButton>
        )
      })}
    </List>
  )
}
