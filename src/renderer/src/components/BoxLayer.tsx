/**
 * Boxes on the stage, inside the image group (IMAGE pixel coordinates). The reader's own boxes
 * are draggable and, when selected, resizable through a Transformer (no rotation, free aspect);
 * other readers' and dataset boxes are dashed and do not listen, so a drag on them pans instead.
 * Every outline has a dark halo under it so its colour reads over any heatmap. The regions
 * thresholded from the map are drawn apart from the radiologists' boxes: thin, dotted, white,
 * labelled with what they are ("Grad-CAM ≥ Otsu"). Labels are laid out in SCREEN pixels
 * (canvas/labelLayout.ts): on a dark tag, never over each other, never outside the viewport.
 * Node geometry goes through canvas/boxShapes.ts before it reaches the store.
 */
import { memo, useEffect, useMemo, useRef } from 'react'
import type Konva from 'konva'
import { Group, Label, Rect, Tag, Text, Transformer } from 'react-konva'
import { displayFinding } from '../../../shared/findings'
import type { Rect as GridRect } from '../../../shared/localization'
import { shapeToDraft, type ImageSize } from '../canvas/boxShapes'
import { findingColor } from '../canvas/findingColors'
import { layoutLabels } from '../canvas/labelLayout'
import type { ViewTransform } from '../canvas/viewTransform'
import type { BoxStore, ViewBox } from '../stores/boxStore'

export const BOX_RECT_NAME = 'case-box-rect'
export const EDITABLE_NAME = 'editable-box'
export const BOX_LABEL_NAME = 'case-box-label'
const LABEL_PX = 12
const LABEL_PAD = 2
const HALO = 'rgba(0, 0, 0, 0.65)'
/** The thresholded regions: white, dotted, thin — never mistaken for a radiologist's box. */
export const PREDICTED_STROKE = '#ffffff'

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
  const editable = box.mine && store !== null
  const commit = (node: Konva.Node) => {
    const draft = shapeToDraft(
      { x: node.x(), y: node.y(), width: node.width(), height: node.height(), scaleX: node.scaleX(), scaleY: node.scaleY() },
      box.finding,
      image,
    )
    // Back to unit scale: the size lives in width/height, as the store keeps it.
    node.setAttrs({ x: draft.x, y: draft.y, width: draft.w, height: draft.h, scaleX: 1, scaleY: 1 })
    store?.change(box.id, draft)
  }
  return (
    <>
      <Rect x={box.x} y={box.y} width={box.w} height={box.h} stroke={HALO} strokeWidth={4} strokeScaleEnabled={false} listening={false} />
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
    </>
  )
}

/** The boxes themselves (memoised: panning changes only the parent group's position). */
export const BoxShapes = memo(function BoxShapes({
  boxes,
  showOthers,
  scale,
  image,
  store,
  predicted,
  band,
}: Omit<BoxLayerProps, 'selectedId'>) {
  return (
    <Group>
      {predicted.map((r, i) => (
        <Group key={`p${i}`} listening={false}>
          <Rect
            x={r.x}
            y={r.y}
            width={r.w}
            height={r.h}
            stroke={HALO}
            strokeWidth={3}
            strokeScaleEnabled={false}
            dash={[2 / scale, 4 / scale]}
          />
          <Rect
            x={r.x}
            y={r.y}
            width={r.w}
            height={r.h}
            stroke={PREDICTED_STROKE}
            strokeWidth={1.25}
            strokeScaleEnabled={false}
            dash={[2 / scale, 4 / scale]}
          />
        </Group>
      ))}
      {boxes
        .filter((b) => b.mine || showOthers)
        .map((box) => (
          <BoxShape key={box.id} box={box} scale={scale} image={image} store={store} />
        ))}
      {band && (
        <Rect
          x={band.x}
          y={band.y}
          width={band.w}
          height={band.h}
          stroke="#fff"
          strokeWidth={1}
          strokeScaleEnabled={false}
          dash={[4 / scale, 4 / scale]}
          listening={false}
        />
      )}
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
  return (
    <Transformer
      ref={ref}
      rotateEnabled={false}
      keepRatio={false}
      flipEnabled={false}
      ignoreStroke
      anchorSize={9}
      borderStroke="#fff"
      anchorStroke="#fff"
      anchorFill="#1976d2"
    />
  )
}

let measureContext: CanvasRenderingContext2D | null | undefined
const widths = new Map<string, number>()

/** Width of a label's text in screen pixels (Konva's default font, as drawn), measured once per text and style. */
function textWidth(text: string, italic: boolean): number {
  const font = `${italic ? 'italic ' : ''}${LABEL_PX}px Arial`
  const key = `${font}\u0000${text}`
  let w = widths.get(key)
  if (w === undefined) {
    if (measureContext === undefined) measureContext = document.createElement('canvas').getContext('2d')
    if (measureContext) measureContext.font = font
    // a pixel of slack: Konva rounds its own measure up
    w = Math.ceil(measureContext ? measureContext.measureText(text).width : text.length * LABEL_PX * 0.6) + 1
    widths.set(key, w)
  }
  return w
}

export interface BoxLabelsProps {
  boxes: readonly ViewBox[]
  showOthers: boolean
  predicted: readonly GridRect[]
  /** What the predicted regions are ("Grad-CAM ≥ Otsu"); empty: not labelled. */
  predictedLabel: string
  view: ViewTransform
  size: { width: number; height: number }
}

/**
 * The labels of boxes and predicted regions, in screen pixels at layer level (their size does not
 * change with zoom). Boxes first, so a radiologist's label keeps the best spot; predicted regions
 * get theirs after.
 */
export const BoxLabels = memo(function BoxLabels({ boxes, showOthers, predicted, predictedLabel, view, size }: BoxLabelsProps) {
  const items = useMemo(() => {
    const toScreen = (r: GridRect) => ({
      x: r.x * view.scale + view.x,
      y: r.y * view.scale + view.y,
      w: r.w * view.scale,
      h: r.h * view.scale,
    })
    const list = [
      ...boxes
        .filter((b) => b.mine || showOthers)
        .map((b) => ({
          key: `b${b.id}`,
          text: `${displayFinding(b.finding)} · ${b.mine ? 'mine' : b.author}`,
          color: findingColor(b.finding),
          box: toScreen(b),
          predicted: false,
        })),
      ...(predictedLabel
        ? predicted.map((r, i) => ({ key: `p${i}`, text: predictedLabel, color: PREDICTED_STROKE, box: toScreen(r), predicted: true }))
        : []),
    ]
    const spots = layoutLabels(
      list.map((item) => ({
        box: item.box,
        width: textWidth(item.text, item.predicted) + 2 * LABEL_PAD + (item.predicted ? 3 : 0),
        height: LABEL_PX + 2 * LABEL_PAD + 1,
      })),
      size,
    )
    return list.map((item, i) => ({ ...item, at: spots[i]! }))
  }, [boxes, showOthers, predicted, predictedLabel, view.scale, view.x, view.y, size])
  return (
    <Group listening={false}>
      {items.map((item) => (
        <Label key={item.key} name={BOX_LABEL_NAME} x={item.at.x} y={item.at.y} listening={false}>
          {/* White text on a dark tag reads over any heatmap colour (a dark finding colour such as
              Cardiomegaly's blue would not, as text); the finding's colour is the tag's outline. */}
          <Tag
            fill="rgba(0, 0, 0, 0.82)"
            cornerRadius={2}
            stroke={item.color}
            strokeWidth={item.predicted ? 0.75 : 1}
            dash={item.predicted ? [2, 2] : undefined}
          />
          {/* The laid-out width, so the tag covers an italic label's slant too. */}
          <Text
            text={item.text}
            width={item.at.w}
            fontSize={LABEL_PX}
            fontStyle={item.predicted ? 'italic' : 'normal'}
            fill="#fff"
            padding={LABEL_PAD}
            wrap="none"
          />
        </Label>
      ))}
    </Group>
  )
})
