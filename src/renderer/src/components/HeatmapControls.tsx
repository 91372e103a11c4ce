/**
 * How the heatmap overlay is shown: on/off (also the 'h' key), colormap, opacity and the alpha
 * ramp's threshold (below it the radiograph shows untinted). The map itself comes from the analysis
 * store; this panel only changes its presentation.
 */
import { memo } from 'react'
import { FormControlLabel, Slider, Stack, Switch, TextField, Typography } from '@mui/material'
import { COLORMAP_LABELS, COLORMAP_NAMES, isColormapName } from '../canvas/colormaps'
import { displayScaleFor } from '../canvas/heatmapPixels'
import { HeatmapLegend } from './HeatmapLegend'
import { useHotkey } from '../hooks/useHotkey'
import { useStoreSelector } from '../hooks/useStoreSelector'
import type { AnalysisStore } from '../stores/analysisStore'

export const HeatmapControls = memo(function HeatmapControls({ store }: { store: AnalysisStore }) {
  const { heatmap, visible, opacity, colormap, floor, hasModels } = useStoreSelector(store, (s) => ({
    heatmap: s.heatmap,
    visible: s.visible,
    opacity: s.opacity,
    colormap: s.colormap,
    floor: s.floor,
    hasModels: !!s.models?.length,
  }))
  const signed = heatmap ? displayScaleFor(heatmap.method) === 'diverging' : false
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
      <Stack
        direction="row"
        spacing={1.5}
        sx={{ alignItems: 'center', px: 0.5 }}
        title={signed ? 'A signed map fades to transparent at zero by itself' : "Values below this share of the map's range are not drawn"}
      >
        <Typography variant="caption" color="text.secondary" sx={{ whiteSpace: 'nowrap' }}>
          Transparent below
        </Typography>
        <Slider
          size="small"
          min={0}
          max={0.9}
          step={0.05}
          value={floor}
          onChange={(_event, value) => store.setFloor(Array.isArray(value) ? value[0]! : value)}
          disabled={!visible || signed}
          aria-label="Transparent below (share of the map's range)"
          data-testid="heatmap-floor"
          data-value={floor}
        />
        <Typography variant="caption" sx={{ minWidth: 32, textAlign: 'right' }}>{`${Math.round(floor * 100)}%`}</Typography>
      </Stack>
      {heatmap ? (
        <HeatmapLegend map={heatmap} colormap={colormap} floor={floor} />
      ) : (
        <Typography variant="caption" color="text.secondary" data-testid="heatmap-caption">
          No heatmap for this finding and method yet
        </Typography>
      )}
    </Stack>
  )
})
