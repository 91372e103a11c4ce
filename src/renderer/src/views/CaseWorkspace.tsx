/**
 * Layout of the case view: the canvas (kept from case to case) with what is drawn over it (the
 * out-of-distribution banner, the colour bar, a spinner while a case loads), and the reading panel
 * (CasePanel.tsx) beside it, rendered deferred and held while a case opens (panelGate).
 */
import { memo, useCallback, useDeferredValue, useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react'
import { Alert, Box, CircularProgress } from '@mui/material'
import type { CaseDetail, CaseStatus, HeatmapData, Reader } from '../../../shared/domain'
import type { Rect } from '../../../shared/localization'
import type { WindowLevel } from '../canvas/windowLevel'
import { CaseCanvas } from '../components/CaseCanvas'
import type { HeatmapOverlay } from '../components/HeatmapImage'
import { ImageColorBar } from '../components/ImageColorBar'
import { OodBanner } from '../components/OodMarks'
import { pixelMaxOf, storedWindowLevel } from '../canvas/windowLevel'
import { useIouScores } from '../hooks/useIouScores'
import { useStoreSelector } from '../hooks/useStoreSelector'
import type { AnalysisStore } from '../stores/analysisStore'
import { methodFacts } from '../../../shared/explainMethods'
import type { BoxState, BoxStore } from '../stores/boxStore'
import type { PanelGate } from '../stores/panelGate'
import { CasePanel, type CasePanelProps, type CasePanelStores, type CaseReview, type CaseThreshold } from './CasePanel'

export interface CaseWorkspaceProps {
  caseId: number
  /** Everything the canvas needs, once the case's record and image are in. */
  loaded: { detail: CaseDetail; bitmap: ImageBitmap; boxStore: BoxStore; loadFull: (() => Promise<ImageBitmap>) | null } | null
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
  /** The reading panel's stores (their reads held back while a case opens, see panelGate). */
  stores: CasePanelStores
  /** The analysis store itself, for what is drawn over the image (the out-of-distribution banner). */
  analysis: AnalysisStore
  panelGate: PanelGate
  review: CaseReview
  threshold: CaseThreshold
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

/**
 * `value`, except while `held`: then the value it had when the hold began (a render-phase update of
 * its own state, React's pattern for keeping a value from an earlier render).
 */
function useHeldValue<T>(value: T, held: boolean): T {
  const [kept, setKept] = useState(value)
  if (!held && kept !== value) setKept(value)
  return held ? kept : value
}

/** The box store's state, or an empty one while the case has none yet. */
function useOptionalBoxState(store: BoxStore | null): BoxState {
  return useSyncExternalStore(store?.subscribe ?? noSubscription, store?.getState ?? (() => NO_BOXES))
}

/** What the dashed regions on the image are: "Grad-CAM ≥ Otsu" (or the reader's threshold). */
function predictedLabel(map: HeatmapData | null, manual: number | null): string {
  if (!map) return ''
  return `${methodFacts(map.method).label} ≥ ${manual === null ? 'Otsu' : manual.toFixed(2)}`
}

/** The open case's out-of-distribution banner (and heatmap label), from the chosen model's mark. */
const CaseOodBanner = memo(function CaseOodBanner({ analysis, heatmapShown }: { analysis: AnalysisStore; heatmapShown: boolean }) {
  const ood = useStoreSelector(analysis, (s) => s.ood)
  return <OodBanner ood={ood} heatmapShown={heatmapShown} />
})

const NO_RECTS: readonly Rect[] = []

/** How long a case may take to show before the spinner says it is loading. */
const SPINNER_DELAY_MS = 300

/**
 * The loading spinner, shown only once a case takes long enough for a reader to wonder: its
 * animation repaints every frame on the main thread, which the few tens of ms of a usual opening
 * need for the image and map.
 */
function LoadingSpinner() {
  const [shown, setShown] = useState(false)
  useEffect(() => {
    const timer = window.setTimeout(() => setShown(true), SPINNER_DELAY_MS)
    return () => window.clearTimeout(timer)
  }, [])
  if (!shown) return null
  return (
    <Box sx={{ position: 'absolute', inset: 0, display: 'grid', placeItems: 'center', pointerEvents: 'none' }}>
      <CircularProgress />
    </Box>
  )
}

export function CaseWorkspace(props: CaseWorkspaceProps) {
  const { caseId, loaded, detail, error, status, overlay, finding, armed, paint, windowLevel, setWindowLevel, image, threshold } = props
  const boxState = useOptionalBoxState(loaded?.boxStore ?? null)
  const { panelGate } = props
  // While a case opens, everything but the canvas keeps what it showed (see panelGate).
  const held = useSyncExternalStore(panelGate.subscribe, () => panelGate.held)
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
  const deferred = useDeferredValue(useHeldValue(iouInput, held))
  const current = deferred.map === iouInput.map ? deferred : null
  const scores = useIouScores(current?.map ?? null, current?.boxes ?? NO_BOXES.boxes, current?.image ?? image, current?.manual ?? null)

  // The reading panel (MUI: most of a render's cost) follows in a deferred render: an opening's
  // urgent renders reach only the canvas, so the image and map are drawn without waiting for the
  // panel, and the panel catches up once per settled state rather than once per answer. The box
  // editor is shown once the case's own box store is in (not the previous case's).
  const panel = useMemo<CasePanelProps>(
    () => ({
      caseId,
      detail,
      status,
      reader: props.reader,
      stores: props.stores,
      review: props.review,
      boxes: boxState.boxes,
      boxStore: loaded?.boxStore ?? null,
      scores,
      threshold,
      finding,
      onFinding: props.onFinding,
      armed,
      windowLevel,
      setWindowLevel,
      pixelMax,
      fileWindow,
    }),
    [
      caseId,
      detail,
      status,
      props.reader,
      props.stores,
      props.review,
      boxState.boxes,
      loaded?.boxStore,
      scores,
      threshold,
      finding,
      props.onFinding,
      armed,
      windowLevel,
      setWindowLevel,
      pixelMax,
      fileWindow,
    ],
  )
  const deferredPanel = useDeferredValue(useHeldValue(panel, held))

  // data-loaded says the image is drawn: written to the DOM as the canvas reports it, without a
  // React render of the whole view for one attribute; a new case starts at "false" before paint.
  const root = useRef<HTMLDivElement>(null)
  useLayoutEffect(() => root.current?.setAttribute('data-loaded', 'false'), [caseId])
  const { onDrawn: drawnNow } = props
  const onDrawn = useCallback(() => {
    root.current?.setAttribute('data-loaded', 'true')
    // The map usually follows within tens of ms; a case without one lets the panel go shortly after.
    panelGate.releaseSoon()
    drawnNow()
  }, [drawnNow, panelGate])
  const onMapDrawn = useCallback(() => panelGate.release(), [panelGate])
  // A case that fails to load shows its error, and the panel its record (when it has one), at once.
  useEffect(() => void (error && panelGate.release()), [error, panelGate])
  const label = scores ? predictedLabel(threshold.map, threshold.manual) : ''
  // The canvas draws nothing of a case before its image is in: the record arriving first (its size)
  // would only render the stage again for nothing.
  const canvasImage = useHeldValue(image, loaded === null)

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
        {/* One canvas for every case (its stage is reused); empty until this case's record and image are in. */}
        <CaseCanvas
          caseId={caseId}
          bitmap={loaded?.bitmap ?? null}
          imageSize={canvasImage}
          loadFull={loaded?.loadFull ?? null}
          boxes={loaded ? boxState.boxes : NO_BOXES.boxes}
          selectedId={loaded ? boxState.selectedId : null}
          showOthers={boxState.showOthers}
          boxStore={loaded?.boxStore ?? null}
          heatmap={loaded ? overlay : null}
          drawFinding={armed ? finding : null}
          onDrawEnd={props.onDrawEnd}
          paint={loaded ? paint : null}
          brush={props.brush}
          predicted={(loaded && scores?.predicted) || NO_RECTS}
          windowLevel={windowLevel}
          onWindowLevel={setWindowLevel}
          pixelMax={pixelMax}
          predictedLabel={label}
          onDrawn={onDrawn}
          onMapDrawn={onMapDrawn}
        />
        <CaseOodBanner analysis={props.analysis} heatmapShown={overlay !== null} />
        {loaded && <ImageColorBar overlay={overlay} />}
        {!loaded && !error && <LoadingSpinner />}
        {error && (
          <Alert severity="error" sx={{ position: 'absolute', top: 48, left: 16, right: 16 }} onClose={props.onCloseError}>
            {error}
          </Alert>
        )}
      </Box>
      {/* While held the panel still shows the case before: a cover takes its clicks then (they would act on
          that case); shown and hidden without restyling the panel itself. */}
      <Box sx={{ position: 'relative', display: 'flex', flexShrink: 0, minHeight: 0 }}>
        <CasePanel {...deferredPanel} />
        <div data-testid="panel-cover" style={{ position: 'absolute', inset: 0, zIndex: 1, display: held ? 'block' : 'none' }} />
      </Box>
    </Box>
  )
}
