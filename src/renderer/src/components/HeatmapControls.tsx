/**
 * How the heatmap overlay is shown: on/off (also the 'h' key), opacity and colormap. The map itself
 * comes from the analysis store; this panel only changes its presentation.
 */
import { memo } from 'react'
import { FormControlLabel, Slider, Stack, Switch, TextField, Typography } from '@mui/material'
import { COLORMAP_LABELS, COLORMAP_NAMES, isColormapName } from '../canvas/colormaps'
import { HeatmapLegend } from './HeatmapLegend'
import { useHotkey } from '../hooks/useHotkey'
import { useStoreSelector } from '../hooks/useStoreSelector'
import type { AnalysisStore } from '../stores/analysisStore'

export const HeatmapControls = memo(function HeatmapControls({ store }: { store: AnalysisStore }) {
  const { heatmap, visible, opacity, colormap, hasModels } = useStoreSelector(store, (s) => ({
    heatmap: s.heatmap, visible: s.visible, opacity: s.opacity, colormap: s.colormap, hasModels: !!s.models?.length,
  }))
  useHotkey('h', store.toggleVisible)
  if (!hasModels) return null

  return (
    <Stack spacing={0.5}>
      <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'space-between' }}>
        <FormControlLabel
          sx={{ ml: 0 }}
          label="Heatmap (h)"
          control={
            <Switch
              size="small"
              checked={visible}
              onChange={(event) => store.setVisible(event.target.checked)}
              slotProps={{ input: { 'data-testid': 'heatmap-toggle' } as object }}
            />
          }
        />
        <TextField
          select
          size="small"
          variant="standard"
          value={colormap}
          onChange={(event) => isColormapName(event.target.value) && store.setColormap(event.target.value)}
          aria-label="Colormap"
          slotProps={{ select: { native: true }, htmlInput: { 'data-testid': 'heatmap-colormap', 'aria-label': 'Colormap' } }}
        >
          {COLORMAP_NAMES.map((name) => (
            <option key={name} value={name}>
              {COLORMAP_LABELS[name]}
            </option>
          ))}
        </TextField>
      </Stack>
      <Stack direction="row" spacing={1.5} sx={{ alignItems: 'center', px: 0.5 }}>
        <Typography variant="caption" color="text.secondary">
          Opacity
        </Typography>
        <Slider
          size="small"
          min={0}
          max={1}
          step={0.05}
          value={opacity}
          onChange={(_event, value) => store.setOpacity(Array.isArray(value) ? value[0]! : value)}
          disabled={!visible}
          aria-label="Heatmap opacity"
          data-testid="heatmap-opacity"
          data-value={opacity}
        />
      </Stack>
      {heatmap ? (
        <HeatmapLegend map={heatmap} colormap={colormap} />
      ) : (
        <Typography variant="caption" color="text.secondary" data-testid="heatmap-caption">
          No heatmap for this finding and method yet
        </Typography>
      )}
    </Stack>
  )
})
