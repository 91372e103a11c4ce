/**
 * Small hand-drawn SVG charts of the dashboard (no chart library: a few dozen points each), each
 * with ticks and tick values on both axes, axis titles and a legend, so a chart read alone (or in
 * a screenshot) says what it shows.
 */
import { Box, Stack, Typography } from '@mui/material'
import type { DashboardData } from '../../../shared/domain'
import { findingColor } from '../canvas/findingColors'

const SIZE = 200
/** Left and bottom margins hold the tick values and the axis titles. */
const LEFT = 38
const BOTTOM = 34
const TOP = 22
const RIGHT = 8
const TICKS = [0, 0.25, 0.5, 0.75, 1]
const AXIS = '#888'
const LABEL = '#bbb'

interface Frame {
  width: number
  height: number
}

const px = (f: Frame, v: number) => LEFT + v * (f.width - LEFT - RIGHT)
const py = (f: Frame, v: number) => f.height - BOTTOM - v * (f.height - TOP - BOTTOM)

/** Frame, ticks with their values on both axes (0 to 1), and the two axis titles. */
function Axes({ frame, xLabel, yLabel }: { frame: Frame; xLabel: string; yLabel: string }) {
  const { width, height } = frame
  return (
    <g data-testid="chart-axes">
      <rect x={LEFT} y={TOP} width={width - LEFT - RIGHT} height={height - TOP - BOTTOM} fill="none" stroke={AXIS} />
      {TICKS.map((t) => (
        <g key={t}>
          <line x1={px(frame, t)} y1={py(frame, 0)} x2={px(frame, t)} y2={py(frame, 0) + 4} stroke={AXIS} data-testid="x-tick" />
          <text x={px(frame, t)} y={py(frame, 0) + 14} fontSize={9} fill={LABEL} textAnchor="middle">
            {t}
          </text>
          <line x1={LEFT - 4} y1={py(frame, t)} x2={LEFT} y2={py(frame, t)} stroke={AXIS} data-testid="y-tick" />
          <text x={LEFT - 6} y={py(frame, t) + 3} fontSize={9} fill={LABEL} textAnchor="end">
            {t}
          </text>
        </g>
      ))}
      <text x={(LEFT + width - RIGHT) / 2} y={height - 4} fontSize={10} fill={LABEL} textAnchor="middle" data-testid="x-label">
        {xLabel}
      </text>
      <text
        x={10}
        y={(TOP + height - BOTTOM) / 2}
        fontSize={10}
        fill={LABEL}
        textAnchor="middle"
        transform={`rotate(-90 10 ${(TOP + height - BOTTOM) / 2})`}
        data-testid="y-label"
      >
        {yLabel}
      </text>
    </g>
  )
}

/** A legend line: a swatch (line or dot) and its text. */
function LegendItem({ color, text, dot = false, dashed = false }: { color: string; text: string; dot?: boolean; dashed?: boolean }) {
  return (
    <Stack direction="row" spacing={0.5} sx={{ alignItems: 'center' }} data-testid="chart-legend-item">
      <svg width={16} height={10} aria-hidden>
        {dot ? (
          <circle cx={8} cy={5} r={3.5} fill={color} />
        ) : (
          <line x1={0} y1={5} x2={16} y2={5} stroke={color} strokeWidth={2} strokeDasharray={dashed ? '3 3' : undefined} />
        )}
      </svg>
      <Typography variant="caption">{text}</Typography>
    </Stack>
  )
}

const ROC_FRAME: Frame = { width: SIZE, height: SIZE }

/** One ROC curve per finding, the chance line, AUROC in the title and in the legend. */
export function RocCurves({ classification }: { classification: DashboardData['classification'] }) {
  const entries = Object.entries(classification).filter(([, c]) => c.roc.length > 1)
  if (!entries.length)
    return (
      <Typography variant="body2" color="text.secondary">
        No ROC: needs positive and negative cases with predictions.
      </Typography>
    )
  return (
    <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 1.5 }} data-testid="dashboard-roc">
      {entries.map(([finding, c]) => (
        <Stack key={finding} spacing={0.25}>
          <svg width={ROC_FRAME.width} height={ROC_FRAME.height} role="img" aria-label={`ROC ${finding}`}>
            <Axes frame={ROC_FRAME} xLabel="False positive rate" yLabel="True positive rate" />
            <line
              x1={px(ROC_FRAME, 0)}
              y1={py(ROC_FRAME, 0)}
              x2={px(ROC_FRAME, 1)}
              y2={py(ROC_FRAME, 1)}
              stroke="#666"
              strokeDasharray="3 3"
            />
            <polyline
              fill="none"
              stroke={findingColor(finding)}
              strokeWidth={2}
              points={c.roc.map(([f, t]) => `${px(ROC_FRAME, f)},${py(ROC_FRAME, t)}`).join(' ')}
            />
            <text x={LEFT} y={14} fontSize={11} fill="#ddd">{`${finding} · AUROC ${c.auroc === null ? '–' : c.auroc.toFixed(3)}`}</text>
          </svg>
          <Stack direction="row" spacing={1.5} sx={{ pl: `${LEFT}px` }} data-testid="chart-legend">
            <LegendItem color={findingColor(finding)} text={finding} />
            <LegendItem color="#666" text="chance" dashed />
          </Stack>
        </Stack>
      ))}
    </Box>
  )
}

const SCATTER_FRAME: Frame = { width: SIZE * 2, height: SIZE }

/** Model probability (x) against heatmap IoU (y), one dot per case and boxed finding; legend by finding. */
export function ConfidenceScatter({ points }: { points: DashboardData['scatter'] }) {
  const findings = [...new Set(points.map((p) => p.finding))].sort()
  return (
    <Stack spacing={0.25}>
      <svg
        width={SCATTER_FRAME.width}
        height={SCATTER_FRAME.height}
        role="img"
        aria-label="Probability vs IoU"
        data-testid="dashboard-scatter"
        data-points={points.length}
      >
        <Axes frame={SCATTER_FRAME} xLabel="Model probability" yLabel="Heatmap IoU with the box" />
        {points.map((p) => (
          <circle
            key={`${p.caseId}-${p.finding}`}
            cx={px(SCATTER_FRAME, p.probability)}
            cy={py(SCATTER_FRAME, p.iou)}
            r={3.5}
            fill={findingColor(p.finding)}
          >
            <title>{`${p.image} · ${p.finding}: p=${p.probability.toFixed(3)}, IoU=${p.iou.toFixed(3)}`}</title>
          </circle>
        ))}
      </svg>
      <Stack
        direction="row"
        sx={{ flexWrap: 'wrap', columnGap: 1.5, pl: `${LEFT}px`, maxWidth: SCATTER_FRAME.width }}
        data-testid="chart-legend"
      >
        {findings.length === 0 ? (
          <Typography variant="caption" color="text.secondary">
            No boxed findings with a probability and a heatmap yet.
          </Typography>
        ) : (
          findings.map((f) => <LegendItem key={f} color={findingColor(f)} text={f} dot />)
        )}
      </Stack>
    </Stack>
  )
}
