/**
 * The image viewer: a Konva stage filling its panel. One Group carries the image→screen transform;
 * the image, the heatmap overlay and the radiologist boxes sit inside it in IMAGE pixel coordinates,
 * so overlay and boxes stay on the anatomy at any zoom. Wheel zooms around the cursor, dragging
 * pans, Fit or '=' fits.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { Box as MuiBox, Button, Paper, Typography } from '@mui/material'
import type Konva from 'konva'
import { Group, Image as KonvaImage, Layer, Rect, Stage, Text } from 'react-konva'
import type { Box } from '../../../shared/domain'
import { boxToRect } from '../canvas/boxGeometry'
import { fitTransform, wheelZoomFactor, zoomAround, type ViewTransform } from '../canvas/viewTransform'
import { useElementSize } from '../hooks/useElementSize'
import { useHotkey } from '../hooks/useHotkey'
import { describeOverlay, HeatmapImage, type HeatmapOverlay } from './HeatmapImage'

declare global {
  interface Window {
    /** Test hook: current zoom, how many box rectangles the canvas drew, and the heatmap overlay. */
    __cxrViewer?: { scale: number; boxesDrawn: number; heatmap: ReturnType<typeof describeOverlay> }
  }
}

const BOX_RECT_NAME = 'case-box-rect'
const LABEL_PX = 12

export interface CaseCanvasProps {
  bitmap: ImageBitmap
  boxes: readonly Box[]
  /** The heatmap to lay over the image, if any. */
  heatmap?: HeatmapOverlay | null
  /** Called once the image has been drawn on the stage. */
  onDrawn: () => void
}

export function CaseCanvas({ bitmap, boxes, heatmap = null, onDrawn }: CaseCanvasProps) {
  const [containerRef, size] = useElementSize<HTMLDivElement>()
  // null: follow the fitted view (also across panel resizes) until the user zooms or pans.
  const [userView, setUserView] = useState<ViewTransform | null>(null)
  const layerRef = useRef<Konva.Layer>(null)
  const fitted = useMemo(
    () => fitTransform({ width: bitmap.width, height: bitmap.height }, size),
    [bitmap.width, bitmap.height, size],
  )
  const view = userView ?? fitted
  const viewRef = useRef(view)
  viewRef.current = view
  const rects = useMemo(() => boxes.map(boxToRect), [boxes])
  const ready = size.width > 0 && size.height > 0

  const fit = useCallback(() => setUserView(null), [])

  useHotkey('=', fit)

  // Draw synchronously once the stage exists, then report what is on it.
  const reported = useRef<ImageBitmap | null>(null)
  useEffect(() => {
    const layer = layerRef.current
    if (!ready || !layer) return
    layer.draw()
    window.__cxrViewer = { scale: view.scale, boxesDrawn: layer.find(`.${BOX_RECT_NAME}`).length, heatmap: describeOverlay(heatmap) }
    if (reported.current !== bitmap) {
      reported.current = bitmap
      onDrawn()
    }
  }, [ready, bitmap, rects, heatmap, view.scale, view.x, view.y, onDrawn])
  useEffect(() => () => void (window.__cxrViewer = { scale: 0, boxesDrawn: 0, heatmap: null }), [])

  function onWheel(event: Konva.KonvaEventObject<WheelEvent>): void {
    event.evt.preventDefault()
    const pointer = event.target.getStage()?.getPointerPosition()
    if (!pointer) return
    setUserView(zoomAround(viewRef.current, pointer, wheelZoomFactor(event.evt.deltaY), fitted.scale / 4))
  }

  function onMouseDown(event: Konva.KonvaEventObject<MouseEvent>): void {
    if (event.evt.button !== 0) return
    const start = { clientX: event.evt.clientX, clientY: event.evt.clientY, view: viewRef.current }
    const onMove = (move: MouseEvent) =>
      setUserView({ ...start.view, x: start.view.x + move.clientX - start.clientX, y: start.view.y + move.clientY - start.clientY })
    const onUp = () => {
      window.removeEventListener('mousemove', onMove)
      window.removeEventListener('mouseup', onUp)
    }
    window.addEventListener('mousemove', onMove)
    window.addEventListener('mouseup', onUp)
  }

  const labelSize = LABEL_PX / view.scale
  return (
    <MuiBox sx={{ position: 'relative', flex: 1, minWidth: 0, minHeight: 0, bgcolor: '#000' }}>
      <MuiBox ref={containerRef} data-testid="case-stage" sx={{ position: 'absolute', inset: 0, overflow: 'hidden', cursor: 'grab' }}>
        {ready && (
          <Stage width={size.width} height={size.height} onWheel={onWheel} onMouseDown={onMouseDown}>
            <Layer ref={layerRef}>
              <Group x={view.x} y={view.y} scaleX={view.scale} scaleY={view.scale}>
                <KonvaImage image={bitmap} width={bitmap.width} height={bitmap.height} />
                {heatmap && <HeatmapImage overlay={heatmap} width={bitmap.width} height={bitmap.height} />}
                {rects.map((rect) => (
                  <Group key={rect.id}>
                    <Rect
                      name={BOX_RECT_NAME}
                      x={rect.x}
                      y={rect.y}
                      width={rect.width}
                      height={rect.height}
                      stroke={rect.stroke}
                      strokeWidth={2}
                      strokeScaleEnabled={false}
                      listening={false}
                    />
                    <Text
                      x={rect.x}
                      y={rect.y >= labelSize * 1.3 ? rect.y - labelSize * 1.3 : rect.y + 2 / view.scale}
                      text={rect.label}
                      fontSize={labelSize}
                      fill={rect.stroke}
                      shadowColor="#000"
                      shadowBlur={3}
                      shadowOpacity={0.9}
                      listening={false}
                    />
                  </Group>
                ))}
              </Group>
            </Layer>
          </Stage>
        )}
      </MuiBox>
      <Paper elevation={3} sx={{ position: 'absolute', top: 8, left: 8, display: 'flex', alignItems: 'center', gap: 1, px: 1, py: 0.5, opacity: 0.9 }}>
        <Button size="small" onClick={fit} data-testid="fit-button" title="Fit image (=)">
          Fit
        </Button>
        <Button
          size="small"
          onClick={() => setUserView(zoomAround(view, { x: size.width / 2, y: size.height / 2 }, 1 / view.scale, 0))}
          title="Actual pixels"
        >
          1:1
        </Button>
        <Typography variant="caption" data-testid="zoom-level" sx={{ minWidth: 44, textAlign: 'right' }}>
          {Math.round(view.scale * 100)}%
        </Typography>
      </Paper>
    </MuiBox>
  )
}
