/**
 * "Edit heatmap" (clinical advisors): brush add/erase on the map's cells, threshold to a mask,
 * reset to the model map, save as a new linked version; a version select views any of them, and
 * "compare" shows the model map, the shown map and their difference side by side.
 */
import { memo, useEffect, useRef } from 'react'
import {
  Alert,
  Button,
  FormControlLabel,
  Slider,
  Stack,
  Switch,
  TextField,
  ToggleButton,
  ToggleButtonGroup,
  Typography,
} from '@mui/material'
import type { HeatmapData, Reader } from '../../../shared/domain'
import { renderHeatmap, type DisplayScale } from '../canvas/heatmapPixels'
import { displayedMap, useHeatmapEditState, type BrushMode, type HeatmapEditStore } from '../stores/heatmapEditStore'

type MapLike = Pick<HeatmapData, 'width' | 'height' | 'values' | 'method'>

function Thumb({ map, label, scale }: { map: MapLike; label: string; scale?: DisplayScale }) {
  const ref = useRef<HTMLCanvasElement>(null)
  useEffect(() => {
    const canvas = ref.current
    if (!canvas) return
    const { width, height, rgba } = renderHeatmap(map, 'jet', 64, scale)
    canvas.width = width
    canvas.height = height
    canvas.getContext('2d')?.putImageData(new ImageData(rgba, width, height), 0, 0)
  }, [map, scale])
  return (
    <Stack sx={{ alignItems: 'center' }}>
      <canvas ref={ref} style={{ width: 80, height: 80, imageRendering: 'auto' }} />
      <Typography variant="caption">{label}</Typography>
    </Stack>
  )
}

export const HeatmapEditPanel = memo(function HeatmapEditPanel({ store, reader }: { store: HeatmapEditStore; reader: Reader | null }) {
  const state = useHeatmapEditState(store)
  const { modelMap, versions, viewMap, editing, brushSize, brushMode, compare, saving, error } = state
  if (!modelMap || !viewMap) return null
  const shown = displayedMap(state) ?? viewMap
  const advisor = reader?.role === 'clinical_advisor'
  // |shown − model|, drawn from transparent (unchanged) to red whatever the method's own scale
  const difference: MapLike = { ...shown, values: shown.values.map((v, i) => Math.abs(v - (modelMap.values[i] ?? 0))) }

  return (
    <Stack spacing={1} data-testid="heatmap-edit-panel">
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <TextField
          select
          size="small"
          label="Version"
          value={String(viewMap.id)}
          onChange={(event) => void store.selectVersion(Number(event.target.value))}
          sx={{ flex: 1 }}
          slotProps={{ select: { native: true }, htmlInput: { 'data-testid': 'heatmap-version-select' } }}
        >
          {versions.map((v, i) => (
            <option key={v.id} value={v.id}>
              {v.editedFrom === null ? 'Model map' : `Edit ${i} · ${v.author ?? '?'} · ${v.createdAt.slice(0, 16).replace('T', ' ')}`}
            </option>
          ))}
        </TextField>
        <FormControlLabel
          label="Compare"
          control={
            <Switch
              size="small"
              checked={compare}
              onChange={(e) => store.setCompare(e.target.checked)}
              slotProps={{ input: { 'data-testid': 'heatmap-compare' } as object }}
            />
          }
        />
      </Stack>
      {compare && (
        <Stack direction="row" spacing={1} sx={{ justifyContent: 'space-around' }} data-testid="heatmap-compare-view">
          <Thumb map={modelMap} label="Model" />
          <Thumb map={shown} label={editing ? 'Editing' : 'Shown'} />
          <Thumb map={difference} label="|Difference|" scale="diverging" />
        </Stack>
      )}
      <Button
        size="small"
        variant={editing ? 'contained' : 'outlined'}
        disabled={!advisor}
        title={advisor ? 'Paint on the image: add or erase evidence cells' : 'Heatmap editing is for clinical advisors (switch reader)'}
        onClick={() => (editing ? store.cancelEdit() : store.startEdit())}
        data-testid="edit-heatmap"
      >
        {editing ? 'Stop editing (discard)' : 'Edit heatmap'}
      </Button>
      {editing && (
        <>
          {/* In words, not letters: what a stroke does to the map (the cursor on the image shows the brush). */}
          <ToggleButtonGroup
            exclusive
            size="small"
            value={brushMode}
            onChange={(_e, mode: BrushMode | null) => mode && store.setBrush({ brushMode: mode })}
            aria-label="Brush mode"
            data-testid="brush-mode"
            data-value={brushMode}
          >
            <ToggleButton
              value="add"
              data-testid="brush-add"
              title="Strokes raise the cells to the map's maximum"
              sx={{ textTransform: 'none' }}
            >
              Add evidence
            </ToggleButton>
            <ToggleButton
              value="erase"
              data-testid="brush-erase"
              title="Strokes lower the cells to the map's minimum"
              sx={{ textTransform: 'none' }}
            >
              Erase evidence
            </ToggleButton>
          </ToggleButtonGroup>
          <Stack direction="row" spacing={1.5} sx={{ alignItems: 'center' }}>
            <Typography variant="caption" sx={{ whiteSpace: 'nowrap' }}>
              Brush size
            </Typography>
            <Slider
              size="small"
              min={1}
              max={4}
              step={1}
              marks
              value={brushSize}
              onChange={(_e, v) => store.setBrush({ brushSize: Array.isArray(v) ? v[0]! : v })}
              data-testid="brush-size"
              data-value={brushSize}
              aria-label="Brush size (cells)"
            />
          </Stack>
          <Stack direction="row" spacing={1}>
            <Button size="small" onClick={store.thresholdToMask} data-testid="heatmap-threshold-mask">
              Threshold to mask
            </Button>
            <Button size="small" onClick={store.resetToModel} data-testid="heatmap-reset">
              Reset to model map
            </Button>
          </Stack>
          <Button
            size="small"
            variant="contained"
            disabled={saving || !reader}
            onClick={() => reader && void store.save(reader.id)}
            data-testid="heatmap-save"
          >
            {saving ? 'Saving…' : 'Save as new version'}
          </Button>
        </>
      )}
      {error && <Alert severity="error">{error}</Alert>}
    </Stack>
  )
})
