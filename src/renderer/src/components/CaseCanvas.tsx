/**
 * The image viewer: a Konva stage filling its panel. Two layers share the image→screen transform:
 * the image alone (its own canvas, so window/level filters only the X-ray) and the overlays
 * (heatmap, boxes, thresholded regions, rubber band). Everything inside is in IMAGE pixels; the
 * transform is display only. Left-drag pans (or draws a box when armed with `b`, or paints the
 * heatmap in edit mode), right-drag sets window/level, wheel zooms around the cursor.
 */
import { memo, useCallback, useEffect, useMemo, useRef } from 'react'
import { Box as MuiBox } from '@mui/material'
import type Konva from 'konva'
import { Circle, Group, Image as KonvaImage, Layer, Stage } from 'react-konva'
import type { Rect } from '../../../shared/localization'
import { cornersToDraft } from '../canvas/boxShapes'
import { frameStats, startFrames, stopFrames } from '../canvas/frameRecorder'
import { createPixelProbe } from '../canvas/pixelProbe'
import { markOpen } from '../canvas/openTrace'
import { publishViewer, resetViewer } from '../canvas/testHook'
import { fitTransform, wheelZoomFactor, zoomAround, type ViewTransform } from '../canvas/viewTransform'
import { dragWindowLevel, isIdentity, type WindowLevel } from '../canvas/windowLevel'
import { useElementSize } from '../hooks/useElementSize'
import { useHotkey } from '../hooks/useHotkey'
import { useScopedState } from '../hooks/useScopedState'
import type { BoxStore, ViewBox } from '../stores/boxStore'
import { ViewerStatus, ZoomBar } from './CanvasBars'
import { BOX_LABEL_NAME, BOX_RECT_NAME, BoxLabels, BoxShapes, BoxTransformer, EDITABLE_NAME } from './BoxLayer'
import { describeOverlay, HeatmapImage, type HeatmapOverlay } from './HeatmapImage'
import { WindowLevelFilter, WL_FILTER_ID } from './WindowLevelFilter'

export interface CaseCanvasProps {
  /** The case shown: the view, zoom and drawing state are its own and start afresh with another. */
  caseId: number
  /**
   * The image as first shown: the original, or its display rendition (smaller) for a large image;
   * null while the case loads (the stage stays, empty: nothing of the previous case is drawn).
   */
  bitmap: ImageBitmap | null
  /** The stored image's size: boxes, heatmaps and the view are in these pixels, whatever size `bitmap` is. */
  imageSize: { width: number; height: number }
  /**
   * The full-resolution image, for a case shown through a display rendition: asked for once the view
   * is zoomed past the rendition's resolution, then drawn instead of it. Absent when `bitmap` is full size.
   */
  loadFull?: (() => Promise<ImageBitmap>) | null
  boxes: readonly ViewBox[]
  selectedId: number | null
  showOthers: boolean
  /** null: no reader chosen, boxes are read-only. */
  boxStore: BoxStore | null
  heatmap?: HeatmapOverlay | null
  /** Finding of the next drawn box when armed (`b`), else null. */
  drawFinding: string | null
  onDrawEnd: () => void
  /** Heatmap edit mode: called with image pixels for every brush position. */
  paint: ((point: { x: number; y: number }, first: boolean) => void) | null
  predicted: readonly Rect[]
  windowLevel: WindowLevel
  onWindowLevel: (wl: WindowLevel) => void
  /** Largest stored pixel value (255 for 8-bit): W/L is shown in stored values. */
  pixelMax: number
  /** What the predicted regions are ("Grad-CAM ≥ Otsu"), shown on their labels. */
  predictedLabel: string
  /** Heatmap edit mode's brush: its radius in image pixels and what it does (drawn as the cursor). */
  brush?: { radius: number; mode: 'add' | 'erase' } | null
  onDrawn: () => void
  /** A heatmap (a new one: of this case, or another finding's) is drawn on the stage. */
  onMapDrawn?: () => void
}

const BRUSH_COLORS = { add: '#7CFC9A', erase: '#FF8A80' } as const

/**
 * Whether the view shows the rendition's pixels larger than one device pixel each: then the full
 * image has detail the rendition lacks.
 */
export function needsFullImage(viewScale: number, shownWidth: number, imageWidth: number, pixelRatio: number): boolean {
  return shownWidth < imageWidth && viewScale * pixelRatio * (imageWidth / shownWidth) > 1.01
}

/**
 * Memoized: the case view renders for every answer of an opening (record, predictions, map) and
 * react-konva redraws its whole tree on each render of the stage, so the canvas renders only when
 * one of its own props changed. It stays mounted from case to case: the stage, its layers' canvases
 * and the measured size are reused (building them took a good part of an opening), while its
 * per-case state (view, rubber band, full-resolution image) starts afresh with the case id.
 */
export const CaseCanvas = memo(function CaseCanvas(props: CaseCanvasProps) {
  const {
    bitmap: shownFirst,
    imageSize,
    loadFull = null,
    boxes,
    selectedId,
    showOthers,
    boxStore,
    heatmap = null,
    drawFinding,
    paint,
    predicted,
    windowLevel,
    onDrawn,
    pixelMax,
    predictedLabel,
    brush = null,
  } = props
  const brushRef = useRef<Konva.Circle>(null)
  const [containerRef, size] = useElementSize<HTMLDivElement>()
  // null: follow the fitted view (also across panel resizes) until the user zooms or pans.
  const [userView, setUserView] = useScopedState<ViewTransform | null>(props.caseId, null)
  const [band, setBand] = useScopedState<Rect | null>(props.caseId, null)
  const imageLayerRef = useRef<Konva.Layer>(null)
  const overlayLayerRef = useRef<Konva.Layer>(null)
  const statusRef = useRef<HTMLSpanElement>(null)
  const image = useMemo(() => ({ width: imageSize.width, height: imageSize.height }), [imageSize.width, imageSize.height])
  // The full-resolution image replaces the display rendition once it is in (kept for this case).
  const [full, setFull] = useScopedState<ImageBitmap | null>(props.caseId, null)
  const bitmap = full ?? shownFirst
  const probeBitmap = useMemo(() => (bitmap ? createPixelProbe(bitmap) : null), [bitmap])
  // The probe reads the bitmap drawn: image pixels scaled to its size (a rendition is smaller).
  const probe = useCallback(
    (x: number, y: number) =>
      bitmap && probeBitmap ? probeBitmap((x * bitmap.width) / image.width, (y * bitmap.height) / image.height) : null,
    [probeBitmap, bitmap, image],
  )
  const fitted = useMemo(() => fitTransform(image, size), [image, size])
  const view = userView ?? fitted
  const wantFull =
    loadFull !== null &&
    shownFirst !== null &&
    !full &&
    needsFullImage(view.scale, shownFirst.width, image.width, window.devicePixelRatio || 1)
  useEffect(() => {
    if (!wantFull || !loadFull) return
    let cancelled = false
    loadFull().then(
      (b) => !cancelled && setFull(b),
      (error: unknown) => console.warn('full-resolution image not loaded:', error),
    )
    return () => void (cancelled = true)
  }, [wantFull, loadFull, setFull])
  // The full image is this canvas's own (36 MB decoded for 3000²): freed with it.
  useEffect(() => () => full?.close(), [full])
  const viewRef = useRef(view)
  viewRef.current = view
  const propsRef = useRef(props)
  propsRef.current = props
  const ready = size.width > 0 && size.height > 0

  // The setter is the case's own (useScopedState): a callback kept from an earlier case would be ignored.
  const fit = useCallback(() => setUserView(null), [setUserView])
  const zoomBy = (factor: number) =>
    setUserView(zoomAround(viewRef.current, { x: size.width / 2, y: size.height / 2 }, factor, fitted.scale / 4))
  useHotkey('=', fit)
  useHotkey('+', () => zoomBy(1.25))
  useHotkey('-', () => zoomBy(0.8))
  const zoomByRef = useRef(zoomBy)
  zoomByRef.current = zoomBy
  const actualPixels = useCallback(() => zoomByRef.current(1 / viewRef.current.scale), [])
  useHotkey('1', actualPixels)
  useHotkey('i', () => props.onWindowLevel({ ...windowLevel, invert: !windowLevel.invert }))

  const toImage = useCallback((x: number, y: number) => {
    const v = viewRef.current
    return { x: (x - v.x) / v.scale, y: (y - v.y) / v.scale }
  }, [])

  // The image layer's canvas gets the window/level filter; identity costs nothing.
  useEffect(() => {
    const canvas = imageLayerRef.current?.getNativeCanvasElement()
    if (canvas) canvas.style.filter = isIdentity(windowLevel) ? '' : `url(#${WL_FILTER_ID})`
  }, [windowLevel, ready])

  // Draw synchronously once the stage exists, then report what is on it. The image layer (a
  // software-scaled drawImage of up to 9 MP without a GPU) is drawn again only when the image or
  // the view changed, not for each overlay that arrives during an opening.
  const reported = useRef<ImageBitmap | null>(null)
  const reportedCase = useRef<number | null>(null)
  const reportedMap = useRef<HeatmapOverlay['map'] | null>(null)
  const imageDrawn = useRef('')
  useEffect(() => {
    const layer = overlayLayerRef.current
    if (!ready || !layer) return
    const imageKey = `${view.scale}:${view.x}:${view.y}:${size.width}:${size.height}`
    if (reported.current !== bitmap || imageDrawn.current !== imageKey) {
      imageLayerRef.current?.draw()
      imageDrawn.current = imageKey
      reported.current = bitmap
    }
    layer.draw()
    const container = containerRef.current
    publishViewer({
      scale: view.scale,
      boxesDrawn: layer.find(`.${BOX_RECT_NAME}`).length,
      // Screen rectangles of the box labels, for the layout checks (no overlap, inside the viewport).
      labels: layer.find(`.${BOX_LABEL_NAME}`).map((node) => {
        const r = node.getClientRect()
        return { text: (node as Konva.Label).getText().text(), x: r.x, y: r.y, w: r.width, h: r.height }
      }),
      viewport: { width: size.width, height: size.height },
      // The bitmap drawn: the display rendition of a large image at fit, the full image once zoomed past it.
      shownImage: bitmap ? { width: bitmap.width, height: bitmap.height } : undefined,
      heatmap: describeOverlay(heatmap),
      boxes: boxes.map(({ id, finding, x, y, w, h, mine }) => ({ id, finding, x, y, w, h, mine })),
      stageToImage: toImage,
      imageToStage: (x, y) => {
        const v = viewRef.current
        const rect = container?.getBoundingClientRect()
        const sx = x * v.scale + v.x
        const sy = y * v.scale + v.y
        return { x: sx, y: sy, clientX: sx + (rect?.left ?? 0), clientY: sy + (rect?.top ?? 0) }
      },
      frameStats,
    })
    // Once per case, when its image is first on the stage (not again when the full image swaps in).
    if (bitmap && reportedCase.current !== props.caseId) {
      reportedCase.current = props.caseId
      markOpen('image drawn')
      onDrawn()
    }
    if (heatmap && reportedMap.current !== heatmap.map) {
      reportedMap.current = heatmap.map
      markOpen('heatmap drawn')
      propsRef.current.onMapDrawn?.()
    }
  }, [
    ready,
    bitmap,
    boxes,
    showOthers,
    heatmap,
    view.scale,
    view.x,
    view.y,
    onDrawn,
    toImage,
    containerRef,
    predicted,
    predictedLabel,
    size.width,
    size.height,
    props.caseId,
  ])
  useEffect(() => resetViewer, [])

  function onWheel(event: Konva.KonvaEventObject<WheelEvent>): void {
    event.evt.preventDefault()
    const pointer = event.target.getStage()?.getPointerPosition()
    if (!pointer) return
    setUserView(zoomAround(viewRef.current, pointer, wheelZoomFactor(event.evt.deltaY), fitted.scale / 4))
  }

  /** Follows the mouse on the window until release (so a drag may leave the stage). */
  function track(onMove: (move: MouseEvent) => void, onUp?: (up: MouseEvent) => void): void {
    startFrames()
    const move = (e: MouseEvent) => onMove(e)
    const up = (e: MouseEvent) => {
      window.removeEventListener('mousemove', move)
      window.removeEventListener('mouseup', up)
      stopFrames()
      onUp?.(e)
    }
    window.addEventListener('mousemove', move)
    window.addEventListener('mouseup', up)
  }

  function onMouseDown(event: Konva.KonvaEventObject<MouseEvent>): void {
    const { clientX, clientY, button } = event.evt
    const stageBox = containerRef.current?.getBoundingClientRect()
    const local = (e: MouseEvent) => toImage(e.clientX - (stageBox?.left ?? 0), e.clientY - (stageBox?.top ?? 0))
    if (button === 2) {
      const start = windowLevel
      return track((move) => propsRef.current.onWindowLevel(dragWindowLevel(start, move.clientX - clientX, move.clientY - clientY)))
    }
    if (button !== 0) return
    const current = propsRef.current
    if (current.paint) {
      current.paint(local(event.evt), true)
      return track((move) => propsRef.current.paint?.(local(move), false))
    }
    if (current.drawFinding) {
      const finding = current.drawFinding
      const a = local(event.evt)
      return track(
        (move) => {
          const b = local(move)
          setBand({ x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), w: Math.abs(a.x - b.x), h: Math.abs(a.y - b.y) })
        },
        (up) => {
          setBand(null)
          const draft = cornersToDraft(a, local(up), finding, image)
          if (draft) propsRef.current.boxStore?.create(draft)
          propsRef.current.onDrawEnd()
        },
      )
    }
    // The reader's own boxes and the transformer's handles drag themselves (Konva); measure only.
    const target = event.target
    if (target.hasName(EDITABLE_NAME) || target.getParent()?.getClassName() === 'Transformer') return track(() => undefined)
    current.boxStore?.select(null)
    const start = viewRef.current
    track((move) => setUserView({ ...start, x: start.x + move.clientX - clientX, y: start.y + move.clientY - clientY }))
  }

  function onMouseMove(event: Konva.KonvaEventObject<MouseEvent>): void {
    const pointer = event.target.getStage()?.getPointerPosition()
    // The brush cursor follows the pointer without a React render (as the status text does).
    const circle = brushRef.current
    if (circle && pointer) {
      circle.position(pointer)
      circle.visible(true)
      circle.getLayer()?.batchDraw()
    }
    if (!pointer || !statusRef.current) return
    const p = toImage(pointer.x, pointer.y)
    const value = probe(p.x, p.y)
    // Written to the DOM directly: a React render per mouse move would cost frames.
    statusRef.current.textContent = value === null ? '' : `x ${Math.floor(p.x)}  y ${Math.floor(p.y)}  value ${value}`
  }

  const cursor = paint ? 'none' : drawFinding ? 'crosshair' : 'grab'
  const brushRadius = brush ? Math.max(3, brush.radius * view.scale) : 0
  return (
    <MuiBox
      sx={{ position: 'relative', flex: 1, minWidth: 0, minHeight: 0, bgcolor: '#000' }}
      onContextMenu={(event) => event.preventDefault()}
    >
      <WindowLevelFilter windowLevel={windowLevel} />
      <MuiBox
        ref={containerRef}
        data-testid="case-stage"
        data-mode={paint ? 'paint' : drawFinding ? 'draw' : 'view'}
        data-brush={paint && brush ? brush.mode : ''}
        data-brush-radius={paint && brush ? brushRadius.toFixed(1) : ''}
        sx={{ position: 'absolute', inset: 0, overflow: 'hidden', cursor }}
        onMouseLeave={() => {
          brushRef.current?.visible(false)
          brushRef.current?.getLayer()?.batchDraw()
        }}
      >
        {ready && (
          <Stage width={size.width} height={size.height} onWheel={onWheel} onMouseDown={onMouseDown} onMouseMove={onMouseMove}>
            <Layer ref={imageLayerRef} listening={false}>
              <Group x={view.x} y={view.y} scaleX={view.scale} scaleY={view.scale}>
                {bitmap && <KonvaImage image={bitmap} width={image.width} height={image.height} />}
              </Group>
            </Layer>
            <Layer ref={overlayLayerRef}>
              <Group x={view.x} y={view.y} scaleX={view.scale} scaleY={view.scale}>
                {bitmap && heatmap && <HeatmapImage overlay={heatmap} width={image.width} height={image.height} />}
                <BoxShapes
                  boxes={boxes}
                  showOthers={showOthers}
                  scale={view.scale}
                  image={image}
                  store={boxStore}
                  predicted={predicted}
                  band={band}
                />
              </Group>
              <BoxTransformer selectedId={selectedId} boxes={boxes} viewKey={`${view.scale}:${view.x}:${view.y}`} />
              <BoxLabels
                boxes={boxes}
                showOthers={showOthers}
                predicted={predicted}
                predictedLabel={predictedLabel}
                view={view}
                size={size}
              />
              {paint && brush && (
                <Circle
                  ref={brushRef}
                  name="brush-cursor"
                  radius={brushRadius}
                  stroke={BRUSH_COLORS[brush.mode]}
                  strokeWidth={2}
                  shadowColor="#000"
                  shadowBlur={2}
                  shadowOpacity={1}
                  dash={brush.mode === 'erase' ? [4, 3] : undefined}
                  visible={false}
                  listening={false}
                />
              )}
            </Layer>
          </Stage>
        )}
      </MuiBox>
      <ZoomBar scale={view.scale} onFit={fit} onActual={actualPixels} />
      <ViewerStatus
        probeRef={statusRef}
        windowLevel={windowLevel}
        pixelMax={pixelMax}
        drawFinding={drawFinding}
        brush={paint && brush ? brush : null}
      />
    </MuiBox>
  )
})
