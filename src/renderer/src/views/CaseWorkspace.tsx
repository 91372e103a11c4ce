/**
 * Layout of the case view: the canvas (new per case) or a spinner while the case loads, and the
 * reading panel that stays mounted across cases: a header (case, review bar, which map and why)
 * and the findings, heatmap, boxes-and-IoU and window sections. Panel parts that only read stores
 * are memoized, so a re-render of the view reaches only what changed.
 */
import { memo, useCallback, useDeferredValue, useLayoutEffect, useMemo, useRef, useSyncExternalStore } from 'react'
import { Alert, Box, CircularProgress, Stack, Typography } from '@mui/material'
import type { CaseDetail, CaseStatus, HeatmapData, Reader } from '../../../shared/domain'
import type { WindowLevel } from '../canvas/windowLevel'
import { BoxPanel } from '../components/BoxPanel'
import { CaseCanvas } from '../components/CaseCanvas'
import { CaseIdentity, CaseLabels } from '../components/CaseDetailsPanel'
import { HeatmapControls } from '../components/HeatmapControls'
import { HeatmapEditPanel } from '../components/HeatmapEditPanel'
import type { HeatmapOverlay } from '../components/HeatmapImage'
import { ImageColorBar } from '../components/ImageColorBar'
import { IouPanel } from '../components/IouPanel'
import { ModelPanel } from '../components/ModelPanel'
import { PredictionList } from '../components/PredictionList'
import { ReadingPanel } from '../components/ReadingPanel'
import { OodBanner } from '../components/OodMarks'
import { ReviewBar, type ReviewBarProps } from '../components/ReviewBar'
import { SendToPacsButton } from '../components/SendToPacsButton'
import { WindowLevelControls } from '../components/WindowLevelControls'
import { COLORMAP_LABELS } from '../canvas/colormaps'
import { formatWindowLevel, pixelMaxOf, storedWindowLevel } from '../canvas/windowLevel'
import { useIouScores } from '../hooks/useIouScores'
import { useStoreSelector } from '../hooks/useStoreSelector'
import type { AnalysisStore } from '../stores/analysisStore'
import { MAP_REASON_TEXT } from '../stores/mapChoice'
import type { PaneLayoutStore } from '../stores/paneLayout'
import { methodFacts } from '../../../shared/explainMethods'
import { displayFinding } from '../../../shared/findings'
import type { BoxState, BoxStore } from '../stores/boxStore'
import type { HeatmapEditStore } from '../stores/heatmapEditStore'

export interface CaseWorkspaceProps {
  caseId: number
  /** Everything the canvas needs, once the case's record and image are in. */
  loaded: { detail: CaseDetail; bitmap: ImageBitmap; boxStore: BoxStore } | null
  detail: CaseDetail | null
  error: string | null
  onCloseError?: () => void
  status: CaseStatus
  overlay: HeatmapOverlay | null
  finding: string
  onFinding: (finding: string) => void
  armed: boolean
  paint: ((p: { x: number; y: number }) => void) | null
  brush: { radius: number; mode: 'add' | 'erase' } | null
  windowLevel: WindowLevel
  setWindowLevel: (wl: WindowLevel) => void
  /** The case's image is drawn on the canvas (once per case). */
  onDrawn: () => void
  onDrawEnd: () => void
  image: { width: number; height: number }
  reader: Reader | null
  stores: { analysis: AnalysisStore; heatmapEdit: HeatmapEditStore; layout: PaneLayoutStore }
  review: Omit<ReviewBarProps, 'status'>
  threshold: { map: HeatmapData | null; manual: number | null; setManual: (t: number | null) => void }
}

const NO_BOXES: BoxState = {
  boxes: [],
  selectedId: null,
  showOthers: true,
  saveState: 'idle',
  saveError: null,
  canUndo: false,
  canRedo: false,
}
const noSubscription = () => () => undefined

/** The box store's state, or an empty one while the case has none yet. */
function useOptionalBoxState(store: BoxStore | null): BoxState {
  return useSyncExternalStore(store?.subscribe ?? noSubscription, store?.getState ?? (() => NO_BOXES))
}

/** What the dashed regions on the image are: "Grad-CAM ≥ Otsu" (or the reader's threshold). */
function predictedLabel(map: HeatmapData | null, manual: number | null): string {
  if (!map) return ''
  return `${methodFacts(map.method).label} ≥ ${manual === null ? 'Otsu' : manual.toFixed(2)}`
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

/** The open case's out-of-distribution banner (and heatmap label), from the chosen model's mark. */
const CaseOodBanner = memo(function CaseOodBanner({ analysis, heatmapShown }: { analysis: AnalysisStore; heatmapShown: boolean }) {
  const ood = useStoreSelector(analysis, (s) => s.ood)
  return <OodBanner ood={ood} heatmapShown={heatmapShown} />
})

export function CaseWorkspace(props: CaseWorkspaceProps) {
  const { caseId, loaded, detail, error, status, overlay, finding, armed, paint, windowLevel, setWindowLevel, image, threshold } = props
  const boxState = useOptionalBoxState(loaded?.boxStore ?? null)
  // W/L is shown in the stored image's own values (0–255 for 8-bit, 0–65535 for 16-bit PNGs).
  const pixelMax = pixelMaxOf(detail?.bitDepth ?? null)
  const fileWindow = useMemo(() => (detail ? storedWindowLevel(detail, pixelMax) : null), [detail, pixelMax])
  // The IoU comparison (tens of ms: a 224² grid scored per box) is computed in a deferred render,
  // after the image and heatmap are on screen and after each box edit. Scores of another map (the
  // previous case or finding) are never shown; while only boxes or the threshold changed, the
  // previous scores stay up until the new ones are in.
  const iouInput = useMemo(
    () => ({ map: threshold.map, boxes: boxState.boxes, image, manual: threshold.manual }),
    [threshold.map, boxState.boxes, image, threshold.manual],
  )
  const deferred = useDeferredValue(iouInput)
  const current = deferred.map === iouInput.map ? deferred : null
  const scores = useIouScores(current?.map ?? null, current?.boxes ?? NO_BOXES.boxes, current?.image ?? image, current?.manual ?? null)

  // The box editor appears one deferred render after the canvas: not on the way to the image.
  const panelStore = useDeferredValue(loaded?.boxStore ?? null)

  // data-loaded says the image is drawn: written to the DOM as the canvas reports it, without a
  // React render of the whole view for one attribute; a new case starts at "false" before paint.
  const root = useRef<HTMLDivElement>(null)
  useLayoutEffect(() => root.current?.setAttribute('data-loaded', 'false'), [caseId])
  const { onDrawn: drawnNow } = props
  const onDrawn = useCallback(() => {
    root.current?.setAttribute('data-loaded', 'true')
    drawnNow()
  }, [drawnNow])

  return (
    <Box
      data-testid="case-view"
      data-case-id={caseId}
      data-image={detail?.image}
      ref={root}
      data-status={status}
      sx={{ display: 'flex', flex: 1, minWidth: 0, minHeight: 0 }}
    >
      <Box sx={{ position: 'relative', display: 'flex', flex: 1, minWidth: 0, bgcolor: '#000' }}>
        {loaded && (
          <CaseCanvas
            key={caseId}
            bitmap={loaded.bitmap}
            boxes={boxState.boxes}
            selectedId={boxState.selectedId}
            showOthers={boxState.showOthers}
            boxStore={loaded.boxStore}
            heatmap={overlay}
            drawFinding={armed ? finding : null}
            onDrawEnd={props.onDrawEnd}
            paint={paint}
            brush={props.brush}
            predicted={scores?.predicted ?? []}
            windowLevel={windowLevel}
            onWindowLevel={setWindowLevel}
            pixelMax={pixelMax}
            predictedLabel={scores ? predictedLabel(threshold.map, threshold.manual) : ''}
            onDrawn={onDrawn}
          />
        )}
        <CaseOodBanner analysis={props.stores.analysis} heatmapShown={overlay !== null} />
        {loaded && <ImageColorBar overlay={overlay} />}
        {!loaded && !error && (
          <Box sx={{ flex: 1, display: 'grid', placeItems: 'center' }}>
            <CircularProgress />
          </Box>
        )}
        {error && (
          <Alert severity="error" sx={{ position: 'absolute', top: 48, left: 16, right: 16 }} onClose={props.onCloseError}>
            {error}
          </Alert>
        )}
      </Box>
      <ReadingPanel
        layout={props.stores.layout}
        header={
          <>
            <CaseIdentity detail={detail} status={status} />
            <Box sx={{ mt: 0.75, display: 'flex', gap: 1, alignItems: 'flex-start' }}>
              <ReviewBar status={status} {...props.review} />
              <SendToPacsButton caseId={caseId} reader={props.reader} />
            </Box>
            <MapChoiceLine analysis={props.stores.analysis} />
          </>
        }
        sections={{
          findings: {
            summary: <FindingsSummary analysis={props.stores.analysis} />,
            body: <FindingsSection analysis={props.stores.analysis} detail={detail} />,
          },
          heatmap: {
            summary: <HeatmapSummary analysis={props.stores.analysis} />,
            body: <HeatmapSection analysis={props.stores.analysis} heatmapEdit={props.stores.heatmapEdit} reader={props.reader} />,
          },
          boxes: {
            summary: `${boxState.boxes.length} box${boxState.boxes.length === 1 ? '' : 'es'}${scores && threshold.map ? ` · ${threshold.map.finding}` : ''}`,
            body: (
              <Stack spacing={1}>
                {panelStore && panelStore === loaded?.boxStore && (
                  <BoxPanel store={panelStore} finding={finding} onFinding={props.onFinding} armed={armed} />
                )}
                {scores && threshold.map && (
                  <IouPanel
                    finding={threshold.map.finding}
                    scores={scores}
                    boxes={boxState.boxes}
                    manual={threshold.manual}
                    onThreshold={threshold.setManual}
                  />
                )}
              </Stack>
            ),
          },
          window: {
            summary: formatWindowLevel(windowLevel, pixelMax),
            body: <WindowLevelControls value={windowLevel} onChange={setWindowLevel} pixelMax={pixelMax} fileWindow={fileWindow} />,
          },
        }}
      />
    </Box>
  )
}
