/**
 * The reading panel of the case view: a header (case, review bar, which map and why) and the
 * findings, heatmap, boxes-and-IoU and window sections. Parts that only read stores are memoized,
 * so a re-render of the panel reaches only what changed; CaseWorkspace renders it deferred.
 */
import { memo } from 'react'
import { Box, Stack, Typography } from '@mui/material'
import type { CaseDetail, CaseStatus, HeatmapData, Reader } from '../../../shared/domain'
import type { WindowLevel } from '../canvas/windowLevel'
import { BoxPanel } from '../components/BoxPanel'
import { CaseIdentity, CaseLabels } from '../components/CaseDetailsPanel'
import { HeatmapControls } from '../components/HeatmapControls'
import { HeatmapEditPanel } from '../components/HeatmapEditPanel'
import { IouPanel } from '../components/IouPanel'
import { ModelPanel } from '../components/ModelPanel'
import { PredictionList } from '../components/PredictionList'
import { ReadingPanel } from '../components/ReadingPanel'
import { ReviewBar, type ReviewBarProps } from '../components/ReviewBar'
import { SendToPacsButton } from '../components/SendToPacsButton'
import { WindowLevelControls } from '../components/WindowLevelControls'
import { COLORMAP_LABELS } from '../canvas/colormaps'
import { formatWindowLevel, type storedWindowLevel } from '../canvas/windowLevel'
import type { IouScores } from '../hooks/useIouScores'
import { useStoreSelector } from '../hooks/useStoreSelector'
import type { AnalysisStore } from '../stores/analysisStore'
import { MAP_REASON_TEXT } from '../stores/mapChoice'
import type { PaneLayoutStore } from '../stores/paneLayout'
import { methodFacts } from '../../../shared/explainMethods'
import { displayFinding } from '../../../shared/findings'
import type { BoxState, BoxStore } from '../stores/boxStore'
import type { HeatmapEditStore } from '../stores/heatmapEditStore'

/** The reading panel's stores (their reads held back while a case opens, see panelGate). */
export interface CasePanelStores {
  analysis: AnalysisStore
  heatmapEdit: HeatmapEditStore
  layout: PaneLayoutStore
}
export type CaseReview = Omit<ReviewBarProps, 'status'>
/** The map the IoU panel scores, and the reader's own threshold over Otsu's. */
export interface CaseThreshold {
  map: HeatmapData | null
  manual: number | null
  setManual: (t: number | null) => void
}

/** Which finding's map is shown and why ("Cardiomegaly — from the worklist filter"). */
const MapChoiceLine = memo(function MapChoiceLine({ analysis }: { analysis: AnalysisStore }) {
  const { finding, reason } = useStoreSelector(analysis, (s) => ({ finding: s.finding, reason: s.findingReason }))
  return (
    <Typography variant="body2" data-testid="map-choice" data-finding={finding ?? ''} data-reason={reason ?? ''} sx={{ mt: 0.5 }} noWrap>
      {finding && reason ? (
        <>
          Map: <b>{finding}</b> — {MAP_REASON_TEXT[reason]}
        </>
      ) : (
        <Box component="span" sx={{ color: 'text.secondary' }}>
          Map: none yet (not analysed by this model)
        </Box>
      )}
    </Typography>
  )
})

const FindingsSummary = memo(function FindingsSummary({ analysis }: { analysis: AnalysisStore }) {
  const top = useStoreSelector(analysis, (s) => s.predictions[0] ?? null)
  return <>{top ? `top: ${displayFinding(top.finding)} ${(top.probability * 100).toFixed(0)}%` : 'not analysed'}</>
})

const HeatmapSummary = memo(function HeatmapSummary({ analysis }: { analysis: AnalysisStore }) {
  const { method, finding, colormap, visible } = useStoreSelector(analysis, (s) => ({
    method: s.heatmap?.method ?? null,
    finding: s.heatmap?.finding ?? null,
    colormap: s.colormap,
    visible: s.visible,
  }))
  if (!method) return <>none</>
  return <>{`${methodFacts(method).label} · ${finding} · ${COLORMAP_LABELS[colormap]}${visible ? '' : ' · hidden'}`}</>
})

/** The findings section: model and method with Run, the probabilities, the ground-truth labels. */
const FindingsSection = memo(function FindingsSection({ analysis, detail }: { analysis: AnalysisStore; detail: CaseDetail | null }) {
  return (
    <Stack spacing={1}>
      <ModelPanel store={analysis} />
      <PredictionList store={analysis} />
      <CaseLabels detail={detail} />
    </Stack>
  )
})

/** The heatmap section: display (on/off, colormap, opacity, threshold, legend) and editing. */
const HeatmapSection = memo(function HeatmapSection({
  analysis,
  heatmapEdit,
  reader,
}: {
  analysis: AnalysisStore
  heatmapEdit: HeatmapEditStore
  reader: Reader | null
}) {
  return (
    <Stack spacing={1}>
      <HeatmapControls store={analysis} />
      <HeatmapEditPanel store={heatmapEdit} reader={reader} />
    </Stack>
  )
})

/** What the reading panel shows; rendered one deferred render after the canvas (see CaseWorkspace). */
export interface CasePanelProps {
  caseId: number
  detail: CaseDetail | null
  status: CaseStatus
  reader: Reader | null
  stores: CasePanelStores
  review: CaseReview
  boxes: BoxState['boxes']
  boxStore: BoxStore | null
  scores: IouScores | null
  threshold: CaseThreshold
  finding: string
  onFinding: (finding: string) => void
  armed: boolean
  windowLevel: WindowLevel
  setWindowLevel: (wl: WindowLevel) => void
  pixelMax: number
  fileWindow: ReturnType<typeof storedWindowLevel> | null
}

export const CasePanel = memo(function CasePanel(p: CasePanelProps) {
  const { analysis, heatmapEdit, layout } = p.stores
  return (
    <ReadingPanel
      layout={layout}
      header={
        <>
          <CaseIdentity detail={p.detail} status={p.status} />
          <Box sx={{ mt: 0.75, display: 'flex', gap: 1, alignItems: 'flex-start' }}>
            <ReviewBar status={p.status} {...p.review} />
            <SendToPacsButton caseId={p.caseId} reader={p.reader} />
          </Box>
          <MapChoiceLine analysis={analysis} />
        </>
      }
      sections={{
        findings: {
          summary: <FindingsSummary analysis={analysis} />,
          body: <FindingsSection analysis={analysis} detail={p.detail} />,
        },
        heatmap: {
          summary: <HeatmapSummary analysis={analysis} />,
          body: <HeatmapSection analysis={analysis} heatmapEdit={heatmapEdit} reader={p.reader} />,
        },
        boxes: {
          summary: `${p.boxes.length} box${p.boxes.length === 1 ? '' : 'es'}${p.scores && p.threshold.map ? ` · ${p.threshold.map.finding}` : ''}`,
          body: (
            <Stack spacing={1}>
              {p.boxStore && <BoxPanel store={p.boxStore} finding={p.finding} onFinding={p.onFinding} armed={p.armed} />}
              {p.scores && p.threshold.map && (
                <IouPanel
                  finding={p.threshold.map.finding}
                  scores={p.scores}
                  boxes={p.boxes}
                  manual={p.threshold.manual}
                  onThreshold={p.threshold.setManual}
                />
              )}
            </Stack>
          ),
        },
        window: {
          summary: formatWindowLevel(p.windowLevel, p.pixelMax),
          body: <WindowLevelControls value={p.windowLevel} onChange={p.setWindowLevel} pixelMax={p.pixelMax} fileWindow={p.fileWindow} />,
        },
      }}
    />
  )
})
