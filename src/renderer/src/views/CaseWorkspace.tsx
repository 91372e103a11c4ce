/**
 * Layout of the case view: the canvas (new per case) or a spinner while the case loads, and the side
 * panel that stays mounted across cases: review bar, model, probabilities, heatmap display and
 * editing, window/level, the IoU comparison and the box editor. Panel parts that only read stores
 * are memoized, so a re-render of the view reaches only what changed.
 */
import { memo, useCallback, useDeferredValue, useLayoutEffect, useMemo, useRef, useSyncExternalStore } from 'react'
import { Alert, Box, CircularProgress, Divider, Typography } from '@mui/material'
import type { CaseDetail, CaseStatus, HeatmapData, Reader } from '../../../shared/domain'
import type { WindowLevel } from '../canvas/windowLevel'
import { BoxPanel } from '../components/BoxPanel'
import { CaseCanvas } from '../components/CaseCanvas'
import { CaseDetailsPanel } from '../components/CaseDetailsPanel'
import { HeatmapControls } from '../components/HeatmapControls'
import { HeatmapEditPanel } from '../components/HeatmapEditPanel'
import type { HeatmapOverlay } from '../components/HeatmapImage'
import { IouPanel } from '../components/IouPanel'
import { ModelPanel } from '../components/ModelPanel'
import { PredictionList } from '../components/PredictionList'
import { ReviewBar, type ReviewBarProps } from '../components/ReviewBar'
import { WindowLevelControls } from '../components/WindowLevelControls'
import { useIouScores } from '../hooks/useIouScores'
import type { AnalysisStore } from '../stores/analysisStore'
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
  windowLevel: WindowLevel
  setWindowLevel: (wl: WindowLevel) => void
  /** The case's image is drawn on the canvas (once per case). */
  onDrawn: () => void
  onDrawEnd: () => void
  image: { width: number; height: number }
  reader: Reader | null
  stores: { analysis: AnalysisStore; heatmapEdit: HeatmapEditStore }
  review: Omit<ReviewBarProps, 'status'>
  threshold: { map: HeatmapData | null; manual: number | null; setManual: (t: number | null) => void }
}

const NO_BOXES: BoxState = { boxes: [], selectedId: null, showOthers: true, saveState: 'idle', saveError: null, canUndo: false, canRedo: false }
const noSubscription = () => () => undefined

/** The box store's state, or an empty one while the case has none yet. */
function useOptionalBoxState(store: BoxStore | null): BoxState {
  return useSyncExternalStore(store?.subscribe ?? noSubscription, store?.getState ?? (() => NO_BOXES))
}

/** The model-related panels read only their stores: memoized, they ignore the view's re-renders. */
const AnalysisPanels = memo(function AnalysisPanels({ analysis, heatmapEdit, reader }: { analysis: AnalysisStore; heatmapEdit: HeatmapEditStore; reader: Reader | null }) {
  return (
    <>
      <Typography variant="subtitle2" gutterBottom>Model</Typography>
      <ModelPanel store={analysis} />
      <Box sx={{ mt: 1 }}>
        <PredictionList store={analysis} />
      </Box>
      <Divider sx={{ my: 1 }} />
      <HeatmapControls store={analysis} />
      <Box sx={{ mt: 1 }}>
        <HeatmapEditPanel store={heatmapEdit} reader={reader} />
      </Box>
    </>
  )
})

export function CaseWorkspace(props: CaseWorkspaceProps) {
  const { caseId, loaded, detail, error, status, overlay, finding, armed, paint, windowLevel, setWindowLevel, image, threshold } = props
  const boxState = useOptionalBoxState(loaded?.boxStore ?? null)
  // The IoU comparison (tens of ms: a 224² grid scored per box) is computed in a deferred render,
  // after the image and heatmap are on screen and after each box edit. Scores of another map (the
  // previous case or finding) are never shown; while only boxes or the threshold changed, the
  // previous scores stay up until the new ones are in.
  const iouInput = useMemo(() => ({ map: threshold.map, boxes: boxState.boxes, image, manual: threshold.manual }), [threshold.map, boxState.boxes, image, threshold.manual])
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
            predicted={scores?.predicted ?? []}
            windowLevel={windowLevel}
            onWindowLevel={setWindowLevel}
            onDrawn={onDrawn}
          />
        )}
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
      <CaseDetailsPanel
        detail={detail}
        status={status}
        boxes={panelStore && panelStore === loaded?.boxStore && <BoxPanel store={panelStore} finding={finding} onFinding={props.onFinding} armed={armed} />}
      >
        <ReviewBar status={status} {...props.review} />
        <AnalysisPanels analysis={props.stores.analysis} heatmapEdit={props.stores.heatmapEdit} reader={props.reader} />
        <Divider sx={{ my: 1 }} />
        <WindowLevelControls value={windowLevel} onChange={setWindowLevel} />
        {scores && threshold.map && (
          <>
            <Divider sx={{ my: 1 }} />
            <IouPanel finding={threshold.map.finding} scores={scores} boxes={boxState.boxes} manual={threshold.manual} onThreshold={threshold.setManual} />
          </>
        )}
      </CaseDetailsPanel>
    </Box>
  )
}
