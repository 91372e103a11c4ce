/**
 * Boxes on the stage, inside the image group (IMAGE pixel coordinates). The reader's own boxes
 * are draggable and, when selected, resizable through a Transformer (no rotation, free aspect);
 * other readers' and dataset boxes are dashed and do not listen, so a drag on them pans instead.
 * Node geometry goes through canvas/boxShapes.ts before it reaches the store.
 */
import { memo, useEffect, useRef } from 'react'
import type Konva from 'konva'
import { Group, Rect, Text, Transformer } from 'react-konva'
import type { Rect as GridRect } from '../../../shared/localization'
import { shapeToDraft, type ImageSize } from '../canvas/boxShapes'
import { findingColor } from '../canvas/findingColors'
import type { BoxStore, ViewBox } from '../stores/boxStore'

export const BOX_RECT_NAME = 'case-box-rect'
export const EDITABLE_NAME = 'editable-box'
const LABEL_PX = 12

export interface BoxLayerProps {
  boxes: readonly ViewBox[]
  selectedId: number | null
  showOthers: boolean
  scale: number
  image: ImageSize
  store: BoxStore | null
  /** The IoU panel's thresholded regions, image pixels (drawn dotted white). */
  predicted: readonly GridRect[]
  /** The rubber band while drawing a new box. */
  band: GridRect | null
}

function BoxShape({ box, scale, image, store }: { box: ViewBox; scale: number; image: ImageSize; store: BoxStore | null }) {
  const stroke = findingColor(box.finding)
  const labelSize = LABEL_PX / scale
  const editable = box.mine && store !== null
  const commit = (node: Konva.Node) => {
    const draft = shapeToDraft({ x: node.x(), y: node.y(), width: node.width(), height: node.height(), scaleX: node.scaleX(), scaleY: node.scaleY() }, box.finding, image)
    // Back to unit scale: the size lives in width/height, as the store keeps it.
    node.setAttrs({ x: draft.x, y: draft.y, width: draft.w, height: draft.h, scaleX: 1, scaleY: 1 })
    store?.change(box.id, draft)
  }
  return (
    <>
      <Rect
        id={`box-${box.id}`}
        name={editable ? `${BOX_RECT_NAME} ${EDITABLE_NAME}` : BOX_RECT_NAME}
        x={box.x}
        y={box.y}
        width={box.w}
        height={box.h}
        stroke={stroke}
        strokeWidth={2}
        strokeScaleEnabled={false}
        dash={box.mine ? undefined : [6 / scale, 4 / scale]}
        // A transparent fill makes the inside grabbable; others' boxes do not listen at all.
        fill={editable ? 'rgba(0,0,0,0.001)' : undefined}
        listening={editable}
        draggable={editable}
        onMouseDown={() => store?.select(box.id)}
        onDragEnd={(event) => commit(event.target)}
        onTransformEnd={(event) => commit(event.target)}
      />
      <Text
        x={box.x}
        y={box.y >= labelSize * 1.3 ? box.y - labelSize * 1.3 : box.y + 2 / scale}
        text={box.mine ? box.finding : `${box.finding} · ${box.author}`}
        fontSize={labelSize}
        fill={stroke}
        shadowColor="#000"
        shadowBlur={3}
        shadowOpacity={0.9}
        listening={false}
      />
    </>
  )
}

/** The boxes themselves (memoised: panning changes only the parent group's position). */
export const BoxShapes = memo(function BoxShapes({ boxes, showOthers, scale, image, store, predicted, band }: Omit<BoxLayerProps, 'selectedId'>) {
  return (
    <Group>
      {predicted.map((r, i) => (
        <Rect key={`p${i}`} x={r.x} y={r.y} width={r.w} height={r.h} stroke="#fff" strokeWidth={1.5} strokeScaleEnabled={false} dash={[2 / scale, 3 / scale]} listening={false} />
      ))}
      {boxes.filter((b) => b.mine || showOthers).map((box) => (
        <BoxShape key={box.id} box={box} scale={scale} image={image} store={store} />
      ))}
      {band && <Rect x={band.x} y={band.y} width={band.w} height={band.h} stroke="#fff" strokeWidth={1} strokeScaleEnabled={false} dash={[4 / scale, 4 / scale]} listening={false} />}
    </Group>
  )
})

/** Resize handles of the selected box; sits at layer level so the anchors keep their screen size. */
export function BoxTransformer({ selectedId, boxes, viewKey }: { selectedId: number | null; boxes: readonly ViewBox[]; viewKey: string }) {
  const ref = useRef<Konva.Transformer>(null)
  useEffect(() => {
    const transformer = ref.current
    if (!transformer) return
    const selected = boxes.find((b) => b.id === selectedId && b.mine)
    const node = selected ? transformer.getStage()?.findOne(`#box-${selected.id}`) : undefined
    transformer.nodes(node ? [node] : [])
    transformer.getLayer()?.batchDraw()
  }, [selectedId, boxes, viewKey])
  return <Transformer ref={ref} rotateEnabled={false} keepRatio={false} flipEnabled={false} ignoreStroke anchorSize={9} borderStroke="#fff" anchorStroke="#fff" anchorFill="#1976d2" />
}
