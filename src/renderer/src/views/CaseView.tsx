/**
 * One open case: fetches its record and image, decodes the image, and shows the canvas with the
 * side panel: review navigation, model panel, heatmap display and editing, the IoU comparison and
 * the box editor. Writes need a reader; without one the picker is asked for and nothing is sent.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import { Alert, Box, Button, CircularProgress, Divider, FormControlLabel, Stack, Switch, TextField, Typography } from '@mui/material'
import type { CaseDetail, CaseStatus, HeatmapData } from '../../../shared/domain'
import { NIH_FINDINGS } from '../../../shared/findings'
import { errorMessage, useApi } from '../apiContext'
import { DEFAULT_WL, WL_PRESETS, type WindowLevel, type WlPreset } from '../canvas/windowLevel'
import { BoxPanel } from '../components/BoxPanel'
import { CaseCanvas } from '../components/CaseCanvas'
import { CaseDetailsPanel } from '../components/CaseDetailsPanel'
import { HeatmapControls } from '../components/HeatmapControls'
import { HeatmapEditPanel } from '../components/HeatmapEditPanel'
import type { HeatmapOverlay } from '../components/HeatmapImage'
import { IouPanel } from '../components/IouPanel'
import { ModelPanel } from '../components/ModelPanel'
import { PredictionList } from '../components/PredictionList'
import { useCaseKeys } from '../hooks/useCaseKeys'
import { useIouScores } from '../hooks/useIouScores'
import { useAnalysisState, type AnalysisStore } from '../stores/analysisStore'
import { createBoxStore, useBoxState, type ViewBox } from '../stores/boxStore'
import { displayedMap, useHeatmapEditState, type HeatmapEditStore } from '../stores/heatmapEditStore'
import { useReaderState, type ReaderStore } from '../stores/readerStore'
import type { WorklistStore } from '../stores/worklistStore'

interface Loaded {
  detail: CaseDetail
  bitmap: ImageBitmap
}

export interface CaseViewProps {
  caseId: number
  analysis: AnalysisStore
  worklist: WorklistStore
  readers: ReaderStore
  heatmapEdit: HeatmapEditStore
}

export function CaseView({ caseId, analysis, worklist, readers, heatmapEdit }: CaseViewProps) {
  const api = useApi()
  const reader = useReaderState(readers).current
  const readerId = reader?.id ?? null
  const analysisState = useAnalysisState(analysis)
  const editState = useHeatmapEditState(heatmapEdit)

  useEffect(() => analysis.openCase(caseId), [analysis, caseId])
  useEffect(() => heatmapEdit.follow(analysisState.heatmap?.caseId === caseId ? analysisState.heatmap : null), [heatmapEdit, analysisState.heatmap, caseId])

  const [bitmap, setBitmap] = useState<ImageBitmap | null>(null)
  const [detail, setDetail] = useState<CaseDetail | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [drawn, setDrawn] = useState(false)
  const [status, setStatus] = useState<CaseStatus>('new')
  const statusRef = useRef(status)
  statusRef.current = status

  // The image once per case (closed when the case closes); the record again when the reader changes
  // (it says whose boxes are "mine").
  useEffect(() => {
    let cancelled = false
    let decoded: ImageBitmap | null = null
    api.cases.image({ caseId })
      .then(async (image) => {
        const result = await createImageBitmap(new Blob([image.bytes as Uint8Array<ArrayBuffer>], { type: image.mime }))
        if (cancelled) return result.close()
        decoded = result
        setBitmap(result)
      })
      .catch((reason: unknown) => !cancelled && setError(errorMessage(reason)))
    return () => {
      cancelled = true
      decoded?.close()
    }
  }, [api, caseId])
  useEffect(() => {
    let cancelled = false
    api.cases.get({ caseId, readerId: readerId ?? undefined }).then(
      (result) => {
        if (cancelled) return
        setStatus(result.status)
        setDetail(result)
      },
      (reason: unknown) => !cancelled && setError(errorMessage(reason)),
    )
    return () => void (cancelled = true)
  }, [api, caseId, readerId])
  const loaded = useMemo<Loaded | null>(() => (detail && bitmap ? { detail, bitmap } : null), [detail, bitmap])

  // The worklist row follows this case's writes without a refetch.
  const onSaved = useCallback((boxes: readonly ViewBox[]) => {
    const mine = boxes.filter((b) => b.mine).length
    const next: CaseStatus = statusRef.current === 'new' && mine > 0 ? 'in_review' : statusRef.current
    setStatus(next)
    worklist.patchRow(caseId, { myBoxes: mine, otherBoxes: boxes.length - mine, boxes: boxes.length, status: next })
  }, [worklist, caseId])
  const boxStore = useMemo(() => (loaded ? createBoxStore(api, caseId, readerId, loaded.detail.boxList, onSaved) : null), [api, caseId, readerId, loaded, onSaved])

  const [picked, setPicked] = useState<string | null>(null)
  const [armed, setArmed] = useState(false)
  const [windowLevel, setWindowLevel] = useState<WindowLevel>(DEFAULT_WL)
  const [manualThreshold, setManualThreshold] = useState<number | null>(null)
  const known = (f: string | null | undefined): f is string => !!f && (NIH_FINDINGS as readonly string[]).includes(f)
  const labelFinding = loaded?.detail.labels.map((l) => l.finding).find(known)
  const finding = picked ?? (known(analysisState.finding) ? analysisState.finding : (labelFinding ?? NIH_FINDINGS[0]))

  const modelMap = analysisState.heatmap && analysisState.heatmap.caseId === caseId ? analysisState.heatmap : null
  const shownMap = modelMap && editState.modelMap?.id === modelMap.id ? displayedMap(editState) : modelMap
  const { colormap, opacity, visible } = analysisState
  const overlay = useMemo<HeatmapOverlay | null>(() => (shownMap ? { map: shownMap, colormap, opacity, visible } : null), [shownMap, colormap, opacity, visible])

  const markReviewed = useCallback(async () => {
    const who = readers.requireReader('Choose a reader to mark cases reviewed')
    if (!who) return
    try {
      await api.cases.setStatus({ caseId, readerId: who.id, status: 'reviewed' })
      setStatus('reviewed')
      worklist.patchRow(caseId, { status: 'reviewed' })
    } catch (reason) {
      setError(errorMessage(reason))
    }
  }, [api, caseId, readers, worklist])

  useCaseKeys({
    draw: () => readers.requireReader('Choose a reader to draw boxes') && setArmed(true),
    cancel: () => setArmed(false),
    deleteSelected: () => {
      const id = boxStore?.getState().selectedId
      if (boxStore && id != null) boxStore.remove(id)
    },
    undo: () => boxStore?.undo(),
    redo: () => boxStore?.redo(),
    next: () => void worklist.openRelative(1),
    previous: () => void worklist.openRelative(-1),
    markReviewed: () => void markReviewed(),
  })

  const onDrawn = useCallback(() => setDrawn(true), [])
  const onDrawEnd = useCallback(() => setArmed(false), [])
  const image = useMemo(() => ({ width: loaded?.bitmap.width ?? 1, height: loaded?.bitmap.height ?? 1 }), [loaded])
  const paint = useMemo(
    () => (editState.editing ? (p: { x: number; y: number }) => heatmapEdit.paintAt(p.x, p.y, image.width, image.height) : null),
    [editState.editing, heatmapEdit, image],
  )

  return (
    <Box
      data-testid="case-view"
      data-case-id={caseId}
      data-image={loaded?.detail.image}
      data-loaded={drawn ? 'true' : 'false'}
      data-status={status}
      sx={{ display: 'flex', flex: 1, minWidth: 0, minHeight: 0 }}
    >
      {error && (
        <Alert severity="error" sx={{ m: 2, alignSelf: 'flex-start' }} onClose={loaded ? () => setError(null) : undefined}>
          {error}
        </Alert>
      )}
      {!error && !loaded && (
        <Box sx={{ flex: 1, display: 'grid', placeItems: 'center' }}>
          <CircularProgress />
        </Box>
      )}
      {loaded && boxStore && (
        <Loaded
          {...{ loaded, boxStore, overlay, finding, armed, paint, windowLevel, setWindowLevel, onDrawn, onDrawEnd, status, image }}
          scoresInput={{ map: shownMap, manual: manualThreshold, setManual: setManualThreshold }}
          panel={
            <>
              <Stack direction="row" spacing={1} sx={{ mb: 1 }}>
                <Button size="small" variant="outlined" onClick={() => void worklist.openRelative(-1)} data-testid="prev-case" title="Previous case (p, PageUp)">‹ Prev</Button>
                <Button size="small" variant="outlined" onClick={() => void worklist.openRelative(1)} data-testid="next-case" title="Next case (n, PageDown)">Next ›</Button>
                <Button size="small" variant="contained" color="success" disabled={status === 'reviewed'} onClick={() => void markReviewed()} data-testid="mark-reviewed" title="Mark reviewed (r)">
                  {status === 'reviewed' ? 'Reviewed' : 'Mark reviewed'}
                </Button>
              </Stack>
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
              <Divider sx={{ my: 1 }} />
              <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
                <TextField
                  select
                  size="small"
                  label="Window"
                  value={(Object.keys(WL_PRESETS) as WlPreset[]).find((k) => WL_PRESETS[k].window === windowLevel.window && WL_PRESETS[k].level === windowLevel.level) ?? 'custom'}
                  onChange={(e) => e.target.value !== 'custom' && setWindowLevel({ ...WL_PRESETS[e.target.value as WlPreset], invert: windowLevel.invert })}
                  slotProps={{ select: { native: true }, htmlInput: { 'data-testid': 'wl-preset' } }}
                >
                  <option value="default">Default</option>
                  <option value="lung">Lung</option>
                  <option value="bone">Bone</option>
                  <option value="custom" disabled>Custom (right-drag)</option>
                </TextField>
                <FormControlLabel label="Invert (i)" control={<Switch size="small" checked={windowLevel.invert} onChange={(e) => setWindowLevel({ ...windowLevel, invert: e.target.checked })} />} />
              </Stack>
            </>
          }
          boxPanel={<BoxPanel store={boxStore} finding={finding} onFinding={setPicked} armed={armed} />}
        />
      )}
    </Box>
  )
}

interface LoadedProps {
  loaded: Loaded
  boxStore: ReturnType<typeof createBoxStore>
  overlay: HeatmapOverlay | null
  finding: string
  armed: boolean
  paint: ((p: { x: number; y: number }) => void) | null
  windowLevel: WindowLevel
  setWindowLevel: (wl: WindowLevel) => void
  onDrawn: () => void
  onDrawEnd: () => void
  status: CaseStatus
  image: { width: number; height: number }
  scoresInput: { map: HeatmapData | null; manual: number | null; setManual: (t: number | null) => void }
  panel: ReactNode
  boxPanel: ReactNode
}

/** The canvas and side panel once the case is loaded (box state and live IoU need the box store). */
function Loaded({ loaded, boxStore, overlay, finding, armed, paint, windowLevel, setWindowLevel, onDrawn, onDrawEnd, status, image, scoresInput, panel, boxPanel }: LoadedProps) {
  const boxState = useBoxState(boxStore)
  const { map, manual, setManual } = scoresInput
  const scores = useIouScores(map, boxState.boxes, image, manual)
  return (
    <>
      <CaseCanvas
        bitmap={loaded.bitmap}
        boxes={boxState.boxes}
        selectedId={boxState.selectedId}
        showOthers={boxState.showOthers}
        boxStore={boxStore}
        heatmap={overlay}
        drawFinding={armed ? finding : null}
        onDrawEnd={onDrawEnd}
        paint={paint}
        predicted={scores?.predicted ?? []}
        windowLevel={windowLevel}
        onWindowLevel={setWindowLevel}
        onDrawn={onDrawn}
      />
      <CaseDetailsPanel detail={loaded.detail} status={status} boxes={boxPanel}>
        {panel}
        {scores && map && (
          <>
            <Divider sx={{ my: 1 }} />
            <IouPanel finding={map.finding} scores={scores} boxes={boxState.boxes} manual={manual} onThreshold={setManual} />
          </>
        )}
      </CaseDetailsPanel>
    </>
  )
}
