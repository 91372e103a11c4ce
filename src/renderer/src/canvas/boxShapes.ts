/**
 * The only bridge between canvas shapes and stored annotations. Konva reports a node's geometry as
 * {x, y, width, height, scaleX, scaleY} (a Transformer resizes by scale); the store keeps BoxDraft in
 * image pixels. Everything here is plain numbers so no canvas type can reach the store or the api.
 */
import { clipBoxToPixel } from '../../../shared/boxClip'
import type { Box, BoxDraft } from '../../../shared/domain'

/** What a shape node exposes after a drag or a transform (in the image group's coordinates). */
export interface ShapeGeometry {
  x: number
  y: number
  width: number
  height: number
  scaleX?: number
  scaleY?: number
}

export interface ImageSize {
  width: number
  height: number
}

/** Smallest box kept, in image pixels: a click without a drag is not a box. */
export const MIN_BOX_PX = 4

const round = (v: number): number => Math.round(v * 100) / 100

/** Clips to the image with the server's own rule (shared/boxClip), so the optimistic box matches the stored one. */
export function clampDraft(draft: BoxDraft, image: ImageSize): BoxDraft {
  const clipped = clipBoxToPixel(draft, image.width, image.height)
  return { finding: draft.finding, x: round(clipped.x), y: round(clipped.y), w: round(clipped.w), h: round(clipped.h) }
}

/** Node geometry after a drag/transform → a draft (scale folded into the size). */
export function shapeToDraft(shape: ShapeGeometry, finding: string, image: ImageSize): BoxDraft {
  const w = shape.width * (shape.scaleX ?? 1)
  const h = shape.height * (shape.scaleY ?? 1)
  // A Transformer may flip a box (negative scale): normalise to a positive size.
  const x = w < 0 ? shape.x + w : shape.x
  const y = h < 0 ? shape.y + h : shape.y
  return clampDraft({ finding, x, y, w: Math.abs(w), h: Math.abs(h) }, image)
}

/** Two corners of a rubber band (image pixels, any order) → a draft, or null when too small. */
export function cornersToDraft(
  a: { x: number; y: number },
  b: { x: number; y: number },
  finding: string,
  image: ImageSize,
): BoxDraft | null {
  const draft = clampDraft({ finding, x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), w: Math.abs(a.x - b.x), h: Math.abs(a.y - b.y) }, image)
  return draft.w >= MIN_BOX_PX && draft.h >= MIN_BOX_PX ? draft : null
}

/** A stored box → the draft the api takes (what undo sends back). */
export function boxToDraft(box: Pick<Box, 'finding' | 'x' | 'y' | 'w' | 'h'>): BoxDraft {
  return { finding: box.finding, x: box.x, y: box.y, w: box.w, h: box.h }
}

/** Node attributes for a draft (scale reset to 1 after every transform). */
export function draftToShape(draft: BoxDraft): Required<ShapeGeometry> {
  return { x: draft.x, y: draft.y, width: draft.w, height: draft.h, scaleX: 1, scaleY: 1 }
}

export function sameGeometry(a: BoxDraft, b: BoxDraft): boolean {
  return (
    a.finding === b.finding &&
    Math.abs(a.x - b.x) < 0.01 &&
    Math.abs(a.y - b.y) < 0.01 &&
    Math.abs(a.w - b.w) < 0.01 &&
    Math.abs(a.h - b.h) < 0.01
  )
}
