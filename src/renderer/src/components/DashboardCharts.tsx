/** Small hand-drawn SVG charts of the dashboard (no chart library: a few dozen points each). */
import { Box, Typography } from '@mui/material'
import type { DashboardData } from '../../../shared/domain'
import { findingColor } from '../canvas/findingColors'

const SIZE = 180
const PAD = 24

const sx = (v: number) => PAD + v * (SIZE - 2 * PAD)
const sy = (v: number) => SIZE - PAD - v * (SIZE - 2 * PAD)

function Axes({ xLabel, yLabel }: { xLabel: string; yLabel: string }) {
  return (
    <>
      <rect x={PAD} y={PAD} width={SIZE - 2 * PAD} height={SIZE - 2 * PAD} fill="none" stroke="#666" />
      <text x={SIZE / 2} y={SIZE - 6} fontSize={10} fill="#aaa" textAnchor="middle">{xLabel}</text>
      <text x={10} y={SIZE / 2} fontSize={10} fill="#aaa" textAnchor="middle" transform={`rotate(-90 10 ${SIZE / 2})`}>{yLabel}</text>
    </>
  )
}

/** One ROC curve per finding with AUROC in the title. */
export function RocCurves({ classification }: { classification: DashboardData['classification'] }) {
  const entries = Object.entries(classification).filter(([, c]) => c.roc.length > 1)
  if (!entries.length) return <Typography variant="body2" color="text.secondary">No ROC: needs positive and negative cases with predictions.</Typography>
  return (
    <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 1 }} data-testid="dashboard-roc">
      {entries.map(([finding, c]) => (
        <svg key={finding} width={SIZE} height={SIZE} role="img" aria-label={`ROC ${finding}`}>
          <Axes xLabel="FPR" yLabel="TPR" />
          <line x1={sx(0)} y1={sy(0)} x2={sx(1)} y2={sy(1)} stroke="#555" strokeDasharray="3 3" />
          <polyline fill="none" stroke={findingColor(finding)} strokeWidth={2} points={c.roc.map(([f, t]) => `${sx(f)},${sy(t)}`).join(' ')} />
          <text x={PAD} y={14} fontSize={11} fill="#ddd">{`${finding} ${c.auroc === null ? '–' : c.auroc.toFixed(3)}`}</text>
        </svg>
      ))}
    </Box>
  )
}

/** Model probability (x) against heatmap IoU (y), one dot per case and boxed finding. */
export function ConfidenceScatter({ points }: { points: DashboardData['scatter'] }) {
  return (
    <svg width={SIZE * 2} height={SIZE} role="img" aria-label="Probability vs IoU" data-testid="dashboard-scatter" data-points={points.length}>
      <rect x={PAD} y={PAD} width={SIZE * 2 - 2 * PAD} height={SIZE - 2 * PAD} fill="none" stroke="#666" />
      <text x={SIZE} y={SIZE - 6} fontSize={10} fill="#aaa" textAnchor="middle">model probability</text>
      <text x={10} y={SIZE / 2} fontSize={10} fill="#aaa" textAnchor="middle" transform={`rotate(-90 10 ${SIZE / 2})`}>IoU</text>
      {points.map((p) => (
        <circle key={`${p.caseId}-${p.finding}`} cx={PAD + p.probability * (SIZE * 2 - 2 * PAD)} cy={sy(p.iou)} r={3.5} fill={findingColor(p.finding)}>
          <title>{`${p.image} · ${p.finding}: p=${p.probability.toFixed(3)}, IoU=${p.iou.toFixed(3)}`}</title>
        </circle>
      ))}
    </svg>
  )
}
