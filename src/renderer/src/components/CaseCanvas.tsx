/**
 * The image viewer: a Konva stage filling its panel. Two layers share the image→screen transform:
 * the image alone (its own canvas, so window/level filters only the X-ray) and the overlays
 * (heatmap, boxes, thresholded regions, rubber band). Everything inside is in IMAGE pixels; the
 * transform is display only. Left-drag pans (or draws a box when armed with `b`, or paints the
 * heatmap in edit mode), right-drag sets window/level, wheel zooms around the cursor.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { Box as MuiBox, Button, Paper, Typography } from '@mui/material'
import type Konva from 'konva'
import { Circle, Group, Image as KonvaImage, Layer, Stage } from 'react-konva'
import type { Rect } from '../../../shared/localization'
import { cornersToDraft } from '../canvas/boxShapes'
import { frameStats, startFrames, stopFrames } from '../canvas/frameRecorder'
import { createPixelProbe } from '../canvas/pixelProbe'
import { publishViewer, resetViewer } from '../canvas/testHook'
import { fitTransform, wheelZoomFactor, zoomAround, type ViewTransform } from '../canvas/viewTransform'
import { dragWindowLevel, formatWindowLevel, isIdentity, type WindowLevel } from '../canvas/windowLevel'
import { useElementSize } from '../hooks/useElementSize'
import { useHotkey } from '../hooks/useHotkey'
import type { BoxStore, ViewBox } from '../stores/boxStore'
import { BOX_LABEL_NAME, BOX_RECT_NAME, BoxLabels, BoxShapes, BoxTransformer, EDITABLE_NAME } from './BoxLayer'
import { describeOverlay, HeatmapImage, type HeatmapOverlay } from './HeatmapImage'
import { WindowLevelFilter, WL_FILTER_ID } from './WindowLevelFilter'

export interface CaseCanvasProps {
  bitmap: ImageBitmap
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
}

const BRUSH_COLORS = { add: '#7CFC9A', erase: '#FF8A80' } as const

export function CaseCanvas(props: CaseCanvasProps) {
  const {
    bitmap,
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
  const [userView, setUserView] = useState<ViewTransform | null>(null)
  const [band, setBand] = useState<Rect | null>(null)
  const imageLayerRef = useRef<Konva.Layer>(null)
  const overlayLayerRef = useRef<Konva.Layer>(null)
  const statusRef = useRef<HTMLSpanElement>(null)
  const image = useMemo(() => ({ width: bitmap.width, height: bitmap.height }), [bitmap])
  const probe = useMemo(() => createPixelProbe(bitmap), [bitmap])
  const fitted = useMemo(() => fitTransform(image, size), [image, size])
  const view = userView ?? fitted
  const viewRef = useRef(view)
  viewRef.current = view
  const propsRef = useRef(props)
  propsRef.current = props
  const ready = size.width > 0 && size.height > 0

  const fit = useCallback(() => setUserView(null), [])
  const zoomBy = (factor: number) =>
    setUserView(zoomAround(viewRef.current, { x: size.width / 2, y: size.height / 2 }, factor, fitted.scale / 4))
  useHotkey('=', fit)
  useHotkey('+', () => zoomBy(1.25))
  useHotkey('-', () => zoomBy(0.8))
  useHotkey('1', () => zoomBy(1 / viewRef.current.scale))
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

  // Draw synchronously once the stage exists, then report what is on it.
  const reported = useRef<ImageBitmap | null>(null)
  useEffect(() => {
    const layer = overlayLayerRef.current
    if (!ready || !layer) return
    imageLayerRef.current?.draw()
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
    if (reported.current !== bitmap) {
      reported.current = bitmap
      onDrawn()
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
                <KonvaImage image={bitmap} width={bitmap.width} height={bitmap.height} />
              </Group>
            </Layer>
            <Layer ref={overlayLayerRef}>
              <Group x={view.x} y={view.y} scaleX={view.scale} scaleY={view.scale}>
                {heatmap && <HeatmapImage overlay={heatmap} width={bitmap.width} height={bitmap.height} />}
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
      <Paper
        elevation={3}
        sx={{ position: 'absolute', top: 8, left: 8, display: 'flex', alignItems: 'center', gap: 1, px: 1, py: 0.5, opacity: 0.9 }}
      >
        <Button size="small" onClick={fit} data-testid="fit-button" title="Fit image (=)">
          Fit
        </Button>
        <Button size="small" onClick={() => zoomBy(1 / view.scale)} title="Actual pixels (1)">
          1:1
        </Button>
        <Typography variant="caption" data-testid="zoom-level" sx={{ minWidth: 44, textAlign: 'right' }}>
          {Math.round(view.scale * 100)}%
        </Typography>
      </Paper>
      <Paper
        elevation={0}
        sx={{ position: 'absolute', bottom: 0, left: 0, right: 0, px: 1, bgcolor: 'rgba(0,0,0,0.6)', pointerEvents: 'none' }}
      >
        <Typography
          variant="caption"
          sx={{ fontFamily: 'monospace' }}
          data-testid="viewer-status"
          data-window={windowLevel.window}
          data-level={windowLevel.level}
          data-pixel-max={pixelMax}
        >
          <span ref={statusRef} />
          {`   ${formatWindowLevel(windowLevel, pixelMax)}${windowLevel.invert ? ' · inverted' : ''}`}
          {drawFinding ? `   · drawing ${drawFinding}: drag on the image` : ''}
          {paint && brush ? `   · brush: ${brush.mode === 'add' ? 'add evidence' : 'erase evidence'} (drag on the image)` : ''}
        </Typography>
      </Paper>
    </MuiBox>
  )
}
