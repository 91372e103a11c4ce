/**
 * The open case: its record and image, the reader's per-case choices (finding for new boxes, draw
 * mode, window/level, IoU threshold), review actions and keys. The view stays mounted from case to
 * case (per-case state resets with the id, see useScopedState) so the side panel's components are
 * updated rather than built again on every opening; only the canvas is new per case. Writes need a
 * reader; without one the picker is asked for and nothing is sent.
 */
import { useCallback, useEffect, useMemo, useRef } from 'react'
import type { CaseStatus } from '../../../shared/domain'
import { NIH_FINDINGS } from '../../../shared/findings'
import { errorMessage, useApi } from '../apiContext'
import { markOpen } from '../canvas/openTrace'
import { DEFAULT_WL, pixelMaxOf, storedWindowLevel, type WindowLevel } from '../canvas/windowLevel'
import type { HeatmapOverlay } from '../components/HeatmapImage'
import { useCaseKeys } from '../hooks/useCaseKeys'
import { useCaseRecord } from '../hooks/useCaseRecord'
import { useScopedState } from '../hooks/useScopedState'
import { useStoreSelector } from '../hooks/useStoreSelector'
import type { AnalysisStore } from '../stores/analysisStore'
import { createBoxStore, type ViewBox } from '../stores/boxStore'
import type { CaseImages } from '../stores/caseImages'
import type { DetailRequest } from '../stores/detailRequest'
import { displayedMap, type HeatmapEditStore } from '../stores/heatmapEditStore'
import type { PaneLayoutStore } from '../stores/paneLayout'
import { gatedStore, type PanelGate } from '../stores/panelGate'
import type { ReaderStore } from '../stores/readerStore'
import type { WorklistStore } from '../stores/worklistStore'
import { CaseWorkspace } from './CaseWorkspace'

export interface CaseViewProps {
  caseId: number
  images: CaseImages
  details: DetailRequest
  analysis: AnalysisStore
  worklist: WorklistStore
  readers: ReaderStore
  heatmapEdit: HeatmapEditStore
  layout: PaneLayoutStore
  /** Held from a worklist click until this view shows the case's image and map (see panelGate). */
  panelGate: PanelGate
}

const known = (f: string | null | undefined): f is string => !!f && (NIH_FINDINGS as readonly string[]).includes(f)

export function CaseView({ caseId, images, details, analysis, worklist, readers, heatmapEdit, layout, panelGate }: CaseViewProps) {
  const api = useApi()
  const reader = useStoreSelector(readers, (s) => s.current)
  const readerId = reader?.id ?? null
  const shown = useStoreSelector(analysis, (s) => ({
    heatmap: s.heatmap,
    finding: s.finding,
    colormap: s.colormap,
    opacity: s.opacity,
    floor: s.floor,
    visible: s.visible,
  }))
  const edit = useStoreSelector(heatmapEdit, (s) => ({
    shownMap: displayedMap(s),
    modelMapId: s.modelMap?.id ?? null,
    editing: s.editing,
    brushSize: s.brushSize,
    brushMode: s.brushMode,
  }))

  // The worklist opens the analysis of a case as it is clicked; a view mounted otherwise does it here.
  useEffect(() => {
    if (analysis.getState().caseId !== caseId) analysis.openCase(caseId)
  }, [analysis, caseId])

  const { detail, bitmap, status, error, setStatus, setError } = useCaseRecord(details, images, caseId, readerId)
  const [picked, setPicked] = useScopedState<string | null>(caseId, null)
  const [armed, setArmed] = useScopedState(caseId, false)
  // Null until the reader picks a window: the case then shows its file's own window (DICOM) as soon
  // as its record is in, in the same render, else the full range.
  const [pickedWindow, setWindowLevel] = useScopedState<WindowLevel | null>(caseId, null)
  const [manualThreshold, setManualThreshold] = useScopedState<number | null>(caseId, null)
  const fileWindow = useMemo(() => (detail ? storedWindowLevel(detail, pixelMaxOf(detail.bitDepth)) : null), [detail])
  const windowLevel = useMemo(
    () => pickedWindow ?? (fileWindow ? { ...fileWindow, invert: false } : DEFAULT_WL),
    [pickedWindow, fileWindow],
  )
  const statusRef = useRef(status)
  statusRef.current = status

  // The worklist row follows this case's writes without a refetch.
  const onSaved = useCallback(
    (boxes: readonly ViewBox[]) => {
      const mine = boxes.filter((b) => b.mine).length
      const next: CaseStatus = statusRef.current === 'new' && mine > 0 ? 'in_review' : statusRef.current
      setStatus(next)
      worklist.patchRow(caseId, { myBoxes: mine, otherBoxes: boxes.length - mine, boxes: boxes.length, status: next })
    },
    [worklist, caseId, setStatus],
  )
  const boxStore = useMemo(
    () => (detail ? createBoxStore(api, caseId, readerId, detail.boxList, onSaved) : null),
    [api, caseId, readerId, detail, onSaved],
  )

  const labelFinding = detail?.labels.map((l) => l.finding).find(known)
  const finding = picked ?? (known(shown.finding) ? shown.finding : (labelFinding ?? NIH_FINDINGS[0]))
  // The heatmap editor follows the analysis store's map (wired in App); its working copy is shown while editing.
  const modelMap = shown.heatmap && shown.heatmap.caseId === caseId ? shown.heatmap : null
  const shownMap = modelMap && edit.modelMapId === modelMap.id ? edit.shownMap : modelMap
  const { colormap, opacity, floor, visible } = shown
  const overlay = useMemo<HeatmapOverlay | null>(
    () => (shownMap ? { map: shownMap, colormap, opacity, floor, visible } : null),
    [shownMap, colormap, opacity, floor, visible],
  )

  // The opening's trace (canvas/openTrace): when each part reached the view.
  useEffect(() => markOpen('view committed', caseId), [caseId])
  useEffect(() => void (detail && markOpen('record in view', caseId)), [detail, caseId])
  useEffect(() => void (bitmap && markOpen('bitmap in view', caseId)), [bitmap, caseId])
  useEffect(() => void (shownMap && markOpen('map in view', caseId)), [shownMap, caseId])

  const changeStatus = useCallback(
    async (next: CaseStatus) => {
      const who = readers.requireReader(
        next === 'reviewed' ? 'Choose a reader to mark cases reviewed' : 'Choose a reader to reopen a review',
      )
      if (!who || statusRef.current === next) return
      try {
        await api.cases.setStatus({ caseId, readerId: who.id, status: next })
        setStatus(next)
        worklist.patchRow(caseId, { status: next })
      } catch (reason) {
        setError(errorMessage(reason))
      }
    },
    [api, caseId, readers, worklist, setStatus, setError],
  )
  const markReviewed = useCallback(() => void changeStatus('reviewed'), [changeStatus])
  // Only a reviewed case goes back in review: a new one has nothing to reopen.
  const reopen = useCallback(() => {
    if (statusRef.current === 'reviewed') void changeStatus('in_review')
  }, [changeStatus])
  const next = useCallback(() => void worklist.openRelative(1), [worklist])
  const previous = useCallback(() => void worklist.openRelative(-1), [worklist])

  useCaseKeys({
    draw: () => readers.requireReader('Choose a reader to draw boxes') && setArmed(true),
    cancel: () => setArmed(false),
    deleteSelected: () => {
      const id = boxStore?.getState().selectedId
      if (boxStore && id != null) boxStore.remove(id)
    },
    undo: () => boxStore?.undo(),
    redo: () => boxStore?.redo(),
    next,
    previous,
    // Not before the record is in: its status is not known until then.
    markReviewed: () => detail && markReviewed(),
    reopen: () => detail && reopen(),
  })

  // Once this case is on screen with its map (the panel gate's release), the images of the cases
  // next/previous would open are fetched and decoded (off the main thread: the image worker) and
  // their results fetched, so that a reader going on at once finds them on their way; before that
  // neither competes with the case being opened for the server or the cores. A case opened without
  // the gate held starts them once its image is drawn.
  const waiting = useRef<(() => void) | null>(null)
  const onDrawn = useCallback(() => {
    const prefetch = () => {
      for (const id of worklist.neighbours()) {
        images.prefetch(id)
        analysis.prefetch(id)
      }
    }
    waiting.current?.()
    waiting.current = null
    if (!panelGate.held) return prefetch()
    const off = panelGate.subscribe(() => {
      if (panelGate.held) return
      off()
      waiting.current = null
      prefetch()
    })
    waiting.current = off
  }, [worklist, images, analysis, panelGate])
  useEffect(
    () => () => {
      waiting.current?.()
      waiting.current = null
    },
    [caseId],
  )

  const onDrawEnd = useCallback(() => setArmed(false), [setArmed])
  // Image pixels are the stored image's (the record's size), not the bitmap's: a large case is first
  // shown through a smaller display rendition, and boxes and maps stay in original-pixel coordinates.
  const width = detail?.width ?? bitmap?.width ?? 1
  const height = detail?.height ?? bitmap?.height ?? 1
  const image = useMemo(() => ({ width, height }), [width, height])
  const loadFull = useCallback(() => images.full(caseId), [images, caseId])
  const paint = useMemo(
    () => (edit.editing ? (p: { x: number; y: number }) => heatmapEdit.paintAt(p.x, p.y, image.width, image.height) : null),
    [edit.editing, heatmapEdit, image],
  )
  const loaded = useMemo(
    () => (detail && bitmap && boxStore ? { detail, bitmap, boxStore, loadFull: bitmap.width < detail.width ? loadFull : null } : null),
    [detail, bitmap, boxStore, loadFull],
  )
  const review = useMemo(
    () => ({ ready: detail !== null, onPrevious: previous, onNext: next, onReviewed: markReviewed, onReopen: reopen }),
    [detail, previous, next, markReviewed, reopen],
  )
  const threshold = useMemo(
    () => ({ map: shownMap, manual: manualThreshold, setManual: setManualThreshold }),
    [shownMap, manualThreshold, setManualThreshold],
  )
  const stores = useMemo(
    () => ({ analysis: gatedStore(analysis, panelGate), heatmapEdit: gatedStore(heatmapEdit, panelGate), layout }),
    [analysis, heatmapEdit, layout, panelGate],
  )
  const onCloseError = useCallback(() => setError(null), [setError])
  // The brush cursor's radius: the painted cells' reach (brush size in map cells) in image pixels.
  const brush = useMemo(
    () => (edit.editing && shownMap ? { radius: (edit.brushSize - 0.5) * (image.width / shownMap.width), mode: edit.brushMode } : null),
    [edit.editing, edit.brushSize, edit.brushMode, shownMap, image.width],
  )

  return (
    <CaseWorkspace
      {...{
        caseId,
        loaded,
        detail,
        error,
        status,
        overlay,
        finding,
        armed,
        paint,
        brush,
        windowLevel,
        setWindowLevel,
        onDrawn,
        onDrawEnd,
        image,
        reader,
      }}
      stores={stores}
      analysis={analysis}
      panelGate={panelGate}
      onCloseError={loaded ? onCloseError : undefined}
      review={review}
      threshold={threshold}
      onFinding={setPicked}
    />
  )
}
