/**
 * Window/level preset and invert for the case image (right-drag on the image sets a custom window),
 * with the window in the image's stored pixel values.
 */
import { memo } from 'react'
import { FormControlLabel, Stack, Switch, TextField, Typography } from '@mui/material'
import { formatWindowLevel, WL_PRESETS, type WindowLevel, type WlPreset } from '../canvas/windowLevel'

function presetOf(wl: WindowLevel): WlPreset | 'custom' {
  return (
    (Object.keys(WL_PRESETS) as WlPreset[]).find((k) => WL_PRESETS[k].window === wl.window && WL_PRESETS[k].level === wl.level) ?? 'custom'
  )
}

export const WindowLevelControls = memo(function WindowLevelControls({
  value,
  onChange,
  pixelMax,
}: {
  value: WindowLevel
  onChange: (wl: WindowLevel) => void
  pixelMax: number
}) {
  return (
    <Stack spacing={0.5}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <TextField
          select
          size="small"
          label="Window"
          value={presetOf(value)}
          onChange={(e) => e.target.value !== 'custom' && onChange({ ...WL_PRESETS[e.target.value as WlPreset], invert: value.invert })}
          slotProps={{ select: { native: true }, htmlInput: { 'data-testid': 'wl-preset' } }}
        >
          <option value="default">Default</option>
          <option value="lung">Lung</option>
          <option value="bone">Bone</option>
          <option value="custom" disabled>
            Custom (right-drag)
          </option>
        </TextField>
        <FormControlLabel
          label="Invert (i)"
          control={
            <Switch
              size="small"
              checked={value.invert}
              onChange={(e) => onChange({ ...value, invert: e.target.checked })}
              slotProps={{ input: { 'data-testid': 'wl-invert' } as object }}
            />
          }
        />
      </Stack>
      <Typography variant="caption" color="text.secondary" data-testid="wl-values">
        {`${formatWindowLevel(value, pixelMax)} (stored values 0–${pixelMax})`}
      </Typography>
    </Stack>
  )
})
