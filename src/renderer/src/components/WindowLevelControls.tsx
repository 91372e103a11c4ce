/**
 * Window/level preset and invert for the case image (right-drag on the image sets a custom window),
 * with the window in the image's stored pixel values. A DICOM case's own window (the one it opens
 * at) is offered as "File window" so the reader can go back to it.
 */
import { memo } from 'react'
import { FormControlLabel, Stack, Switch, TextField, Typography } from '@mui/material'
import { formatWindowLevel, WL_PRESETS, type WindowLevel, type WlPreset } from '../canvas/windowLevel'

type Shown = Pick<WindowLevel, 'window' | 'level'>
const same = (a: Shown, b: Shown) => a.window === b.window && a.level === b.level

function presetOf(wl: WindowLevel, fileWindow: Shown | null): WlPreset | 'file' | 'custom' {
  if (fileWindow && same(wl, fileWindow)) return 'file'
  return (Object.keys(WL_PRESETS) as WlPreset[]).find((k) => same(WL_PRESETS[k], wl)) ?? 'custom'
}

export const WindowLevelControls = memo(function WindowLevelControls({
  value,
  onChange,
  pixelMax,
  fileWindow = null,
}: {
  value: WindowLevel
  onChange: (wl: WindowLevel) => void
  pixelMax: number
  /** The case file's own window (DICOM WindowCenter/WindowWidth), null when it named none. */
  fileWindow?: Shown | null
}) {
  return (
    <Stack spacing={0.5}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <TextField
          select
          size="small"
          label="Window"
          value={presetOf(value, fileWindow)}
          onChange={(e) => {
            const picked = e.target.value
            if (picked === 'file' && fileWindow) onChange({ ...fileWindow, invert: value.invert })
            else if (picked in WL_PRESETS) onChange({ ...WL_PRESETS[picked as WlPreset], invert: value.invert })
          }}
          slotProps={{ select: { native: true }, htmlInput: { 'data-testid': 'wl-preset' } }}
        >
          {fileWindow && <option value="file">{`File window (${formatWindowLevel(fileWindow, pixelMax)})`}</option>}
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
