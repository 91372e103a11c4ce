/**
 * Validation dashboard: filters (method, finding, reader), the per-finding localization table
 * (Otsu masks with the prior box and a random map beneath each figure; the ChestX-ray8 paper's
 * T(IoBB) beside ours scored by the paper's own protocol), inter-reader agreement, macro AUROC with ROC
 * curves, confidence against IoU, the stored randomization check, and CSV/HTML/PDF export.
 */
import { useEffect, useState } from 'react'
import {
  Alert,
  Box,
  Button,
  LinearProgress,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from '@mui/material'
import { EXPLAIN_METHODS, isExplainMethod, methodChoiceLabel, methodFacts, methodSummary } from '../../../shared/explainMethods'
import type { DashboardData } from '../../../shared/domain'
import { NIH_FINDINGS } from '../../../shared/findings'
import { useApi } from '../apiContext'
import { ConfidenceScatter, RocCurves } from '../components/DashboardCharts'
import { createDashboardStore, useDashboardState } from '../stores/dashboardStore'
import { useReaderState, type ReaderStore } from '../stores/readerStore'

const THRESHOLDS = ['0.1', '0.25', '0.5'] as const
/** The ChestX-ray8 paper's thresholds: its row is compared only with our maps scored by its own protocol. */
const PAPER_THRESHOLDS = ['0.1', '0.25', '0.5', '0.75', '0.9'] as const
const fmt = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? '–' : v.toFixed(digits))

export function DashboardView({ readers }: { readers: ReaderStore }) {
  const api = useApi()
  const [store] = useState(() => createDashboardStore(api))
  const { filters, data, loading, error } = useDashboardState(store)
  const { readers: readerList } = useReaderState(readers)
  useEffect(() => void store.load(), [store])

  const findings = Object.keys(data?.localization ?? {})
  return (
    <Box sx={{ flex: 1, overflow: 'auto', p: 2 }} data-testid="dashboard">
      <Stack direction="row" spacing={1.5} sx={{ alignItems: 'center', mb: 2 }}>
        <Typography variant="h6">Validation</Typography>
        <TextField
          select
          size="small"
          label="Method"
          value={filters.method}
          onChange={(e) => isExplainMethod(e.target.value) && store.setFilters({ method: e.target.value })}
          slotProps={{ select: { native: true }, htmlInput: { 'data-testid': 'dashboard-method' } }}
        >
          {EXPLAIN_METHODS.map((m) => (
            <option key={m} value={m}>
              {methodChoiceLabel(m)}
            </option>
          ))}
        </TextField>
        <TextField
          select
          size="small"
          label="Finding"
          value={filters.finding ?? ''}
          onChange={(e) => store.setFilters({ finding: e.target.value || null })}
          slotProps={{ select: { native: true }, inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'dashboard-finding' } }}
        >
          <option value="">All</option>
          {NIH_FINDINGS.map((f) => (
            <option key={f} value={f}>
              {f}
            </option>
          ))}
        </TextField>
        <TextField
          select
          size="small"
          label="Boxes of"
          value={filters.readerId ?? ''}
          onChange={(e) => store.setFilters({ readerId: e.target.value ? Number(e.target.value) : null })}
          slotProps={{ select: { native: true }, inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'dashboard-reader' } }}
        >
          <option value="">Everyone (dataset + readers)</option>
          {readerList.map((r) => (
            <option key={r.id} value={r.id}>
              {r.name}
            </option>
          ))}
        </TextField>
        <Box sx={{ flex: 1 }} />
        <Button size="small" variant="outlined" onClick={() => void store.download('csv')} data-testid="dashboard-export-csv">
          Export CSV
        </Button>
        <Button size="small" variant="outlined" onClick={() => void store.download('html')} data-testid="dashboard-export-html">
          Export HTML
        </Button>
        <Button size="small" variant="outlined" onClick={() => void store.download('pdf')} data-testid="dashboard-export-pdf">
          Export PDF
        </Button>
      </Stack>
      {loading && <LinearProgress sx={{ mb: 1 }} />}
      {error && (
        <Alert severity="error" sx={{ mb: 1 }}>
          {error}
        </Alert>
      )}
      {data && (
        <>
          <Alert severity={methodFacts(data.method).classSpecific ? 'info' : 'warning'} sx={{ mb: 1 }} data-testid="dashboard-method-facts">
            {methodSummary(data.method)}
          </Alert>
          <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
            {data.model ? `${data.model.id} ${data.model.version}` : 'No model'} · {data.method} · {data.cases} case(s) with heatmaps and
            boxes · Otsu masks, a box found when IoBB ≥ T; beneath each figure: prior box · random map. ChestX-ray8 columns: the paper's
            protocol (map to [0, 255], thresholds 60 and 180, IoBB &gt; T), the paper's Table 4 (Wang et al. 2017) in brackets
          </Typography>
          <Table size="small" data-testid="dashboard-table" sx={{ mb: 2, maxWidth: 1100 }}>
            <TableHead>
              <TableRow>
                <TableCell>Finding</TableCell>
                <TableCell align="right">Boxes</TableCell>
                {THRESHOLDS.map((t) => (
                  <TableCell key={t} align="right">
                    T(IoBB) ≥ {t}
                  </TableCell>
                ))}
                <TableCell align="right">Mean IoU</TableCell>
                <TableCell align="right">Hit rate</TableCell>
                {PAPER_THRESHOLDS.map((t) => (
                  <TableCell key={`p${t}`} align="right">
                    ChestX-ray8 &gt; {t}{' '}
                    <Typography component="span" variant="caption" color="text.secondary">
                      (paper)
                    </Typography>
                  </TableCell>
                ))}
                <TableCell align="right">Reader agreement</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {findings.map((finding) => {
                const row = data.localization[finding]!
                const agreement = data.agreement[finding]
                const base = data.baselines?.[finding]
                return (
                  <TableRow key={finding} data-testid="dashboard-row" data-finding={finding}>
                    <TableCell>{finding}</TableCell>
                    <TableCell align="right">{row.n_boxes}</TableCell>
                    {THRESHOLDS.map((t) => (
                      <TableCell key={t} align="right" data-testid={`iobb-${t}`}>
                        {fmt(row.iobb_acc[t])}
                        <Baselines prior={base?.prior?.iobb_acc[t]} random={base?.random.iobb_acc[t]} />
                      </TableCell>
                    ))}
                    <TableCell align="right">
                      {fmt(row.iou_mean, 3)}
                      <Baselines prior={base?.prior?.iou_mean} random={base?.random.iou_mean} digits={3} />
                    </TableCell>
                    <TableCell align="right">
                      {fmt(row.hit_rate)}
                      <Baselines prior={base?.prior?.hit_rate} random={base?.random.hit_rate} />
                    </TableCell>
                    {PAPER_THRESHOLDS.map((t) => (
                      <TableCell key={`p${t}`} align="right" data-testid={`cx8-${t}`}>
                        {fmt(data.localizationChestXray8?.[finding]?.iobb_acc[t])}{' '}
                        <Typography component="span" variant="caption" color="text.secondary" data-testid="paper-value">
                          ({fmt(data.paper[t]?.[finding])})
                        </Typography>
                        <Baselines prior={base?.prior?.paper_iobb_acc[t]} random={base?.random.paper_iobb_acc[t]} />
                      </TableCell>
                    ))}
                    <TableCell align="right">{agreement ? `${fmt(agreement.meanIou, 3)} (${agreement.pairs} pairs)` : '–'}</TableCell>
                  </TableRow>
                )
              })}
              {findings.length === 0 && (
                <TableRow>
                  <TableCell colSpan={13}>No boxed findings with heatmaps of this method yet.</TableCell>
                </TableRow>
              )}
            </TableBody>
          </Table>
          <Typography variant="subtitle1" data-testid="dashboard-macro-auroc" data-value={data.macroAuroc ?? ''}>
            Macro AUROC: {fmt(data.macroAuroc, 3)}
            {data.macroAurocCi ? ` (95% CI ${fmt(data.macroAurocCi[0], 3)}–${fmt(data.macroAurocCi[1], 3)})` : ''}
          </Typography>
          <SanityResult sanity={data.sanity} method={data.method} />
          <RocCurves classification={data.classification} />
          <Typography variant="subtitle1" sx={{ mt: 2 }}>
            Model confidence vs heatmap IoU
          </Typography>
          <ConfidenceScatter points={data.scatter} />
        </>
      )}
    </Box>
  )
}

/** The method's randomization check as `cxr-lens evaluate --sanity` last stored it for this model version. */
function SanityResult({ sanity, method }: { sanity: DashboardData['sanity']; method: string }) {
  if (!sanity)
    return (
      <Alert severity="info" sx={{ my: 1 }} data-testid="dashboard-sanity" data-state="none">
        No stored randomization check for {method} on this model version: run cxr-lens evaluate … --method {method} --sanity.
      </Alert>
    )
  if (sanity.state === 'unreadable')
    return (
      <Alert severity="warning" sx={{ my: 1 }} data-testid="dashboard-sanity" data-state="unreadable">
        The stored randomization check {sanity.file} cannot be read: {sanity.error}
      </Alert>
    )
  const failing = Object.entries(sanity.verdict).filter(([, v]) => v.fails)
  return (
    <Alert
      severity={sanity.fails ? 'error' : 'success'}
      sx={{ my: 1 }}
      data-testid="dashboard-sanity"
      data-state={sanity.fails ? 'fails' : 'passes'}
    >
      {sanity.fails
        ? `${sanity.method} fails the model-randomization check (${failing.map(([layers, v]) => `${layers}: ${v.reasons.join('; ')}`).join(', ')}): its maps do not depend on what the model learned.`
        : `${sanity.method} passes the model-randomization check.`}{' '}
      Checked {sanity.recordedAt} on {sanity.images} images (seed {sanity.seed}).
    </Alert>
  )
}

/** The trivial answers under a figure: the prior box (when the model has one) and a random map. */
function Baselines({
  prior,
  random,
  digits = 2,
}: {
  prior: number | null | undefined
  random: number | null | undefined
  digits?: number
}) {
  return (
    <Typography
      component="div"
      variant="caption"
      color="text.secondary"
      data-testid="baseline-values"
      title="prior box · random map"
      sx={{ whiteSpace: 'nowrap' }}
    >
      {fmt(prior, digits)} · {fmt(random, digits)}
    </Typography>
  )
}
