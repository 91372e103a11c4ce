/**
 * The background analysis chip in the top bar: how far the queue is ("Analysing 12 of 714"), with
 * pause/resume and cancel in its menu and the latest failures by name and reason.
 */
import { useEffect, useState } from 'react'
import { Chip, CircularProgress, Menu, MenuItem, Typography } from '@mui/material'
import type { BackgroundStatus } from '../../../shared/background'
import { useStoreSelector } from '../hooks/useStoreSelector'
import type { BackgroundStore } from '../stores/backgroundStore'

export function chipLabel(status: BackgroundStatus): string {
  const { run, paused } = status
  const working = status.pending + status.running > 0
  const failed = run.failed ? `, ${run.failed} failed` : ''
  if (paused && working) return `Analysis paused · ${run.done + run.failed} of ${run.total}${failed}`
  if (working) return `Analysing ${run.done + run.failed} of ${run.total}${failed}`
  if (run.total > 0) return `Analysed ${run.done} case${run.done === 1 ? '' : 's'}${failed}`
  return 'Analysis up to date'
}

/**
 * How far the run is, as a still ring that moves only when a status lands (at most four times a
 * second). Not MUI's indeterminate spinner: its dash animation is not one the compositor runs, so
 * while the queue worked it restyled and repainted the top bar on the renderer's main thread in every
 * frame (a Chromium trace of tests/e2e/responsiveness.test.mjs: Paint 317 ms and style 187 ms in a
 * 6 s window against 39 ms and 5 ms with the queue idle), which is the time a pan's frame needs when
 * the cores are shared. The determinate ring's dash transition is off for the same reason.
 */
function RunProgress({ status }: { status: BackgroundStatus }) {
  const { done, failed, total } = status.run
  const value = total > 0 ? (100 * (done + failed)) / total : 0
  return (
    <CircularProgress
      size={12}
      variant="determinate"
      value={value}
      data-testid="background-progress"
      sx={{ '& .MuiCircularProgress-circle': { transition: 'none' } }}
    />
  )
}

export function BackgroundChip({ store }: { store: BackgroundStore }) {
  useEffect(() => store.follow(), [store])
  const status = useStoreSelector(store, (s) => s.status)
  const error = useStoreSelector(store, (s) => s.error)
  const [anchor, setAnchor] = useState<HTMLElement | null>(null)
  if (!status) return null
  if (!status.target && status.pending + status.running === 0) return null
  const working = status.pending + status.running > 0
  const title = status.target
    ? `Every imported case gets ${status.target.model} ${status.target.version}'s probabilities and Grad-CAM maps in the background; the open case goes first.`
    : 'No model is installed'
  return (
    <>
      <Chip
        size="small"
        variant="outlined"
        color={status.run.failed ? 'warning' : working && !status.paused ? 'primary' : 'default'}
        icon={working && !status.paused ? <RunProgress status={status} /> : undefined}
        label={chipLabel(status)}
        title={error ?? title}
        onClick={(e) => setAnchor(e.currentTarget)}
        data-testid="background-chip"
        data-pending={status.pending + status.running}
        data-done={status.run.done}
        data-failed={status.run.failed}
        data-paused={status.paused}
      />
      <Menu anchorEl={anchor} open={anchor !== null} onClose={() => setAnchor(null)}>
        <MenuItem data-testid="background-pause" onClick={() => void store.setPaused(!status.paused).then(() => setAnchor(null))}>
          {status.paused ? 'Resume analysis' : 'Pause analysis'}
        </MenuItem>
        <MenuItem
          data-testid="background-cancel"
          disabled={status.pending === 0}
          onClick={() => void store.cancel().then(() => setAnchor(null))}
        >
          Cancel the {status.pending} queued case{status.pending === 1 ? '' : 's'}
        </MenuItem>
        {status.failures.map((f) => (
          <MenuItem key={f.caseId} disabled dense sx={{ whiteSpace: 'normal', maxWidth: 480 }}>
            <Typography variant="caption" data-testid="background-failure">{`${f.image}: ${f.reason}`}</Typography>
          </MenuItem>
        ))}
      </Menu>
    </>
  )
}
