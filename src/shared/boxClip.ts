/**
 * The one rule for keeping a box inside its image, shared by the renderer (the optimistic box drawn
 * while a save is in flight) and the server (what is stored), so the two never disagree. Boxes are
 * in image pixels, origin top-left; the image spans [0, width] × [0, height].
 */
export interface BoxRect {
  x: number
  y: number
  w: number
  h: number
}

/** One axis: [start, size] cut to [0, limit]; the size is returned as given when nothing was cut (no rounding drift). */
function span(start: number, size: number, limit: number): [number, number] {
  const end = start + size
  const a = Math.max(0, Math.min(limit, start))
  const b = Math.max(0, Math.min(limit, end))
  return [a, a === start && b === end ? size : Math.max(0, b - a)]
}

/** The part of the box inside the image: the intersection, zero wide or high where they do not overlap. */
export function clipBox(box: BoxRect, width: number, height: number): BoxRect {
  const [x, w] = span(box.x, box.w, width)
  const [y, h] = span(box.y, box.h, height)
  return { x, y, w, h }
}

/**
 * clipBox, then at least one pixel wide and high and still inside the image: a reader's box is
 * never stored empty. A box wholly beyond an edge becomes the one-pixel box at that edge.
 */
export function clipBoxToPixel(box: BoxRect, width: number, height: number): BoxRect {
  const clipped = clipBox(box, width, height)
  const x = Math.min(clipped.x, Math.max(0, width - 1))
  const y = Math.min(clipped.y, Math.max(0, height - 1))
  // Moved back inside only when it lay on the far edge; then it grows to reach where it ended.
  const w = x === clipped.x ? clipped.w : clipped.x + clipped.w - x
  const h = y === clipped.y ? clipped.h : clipped.y + clipped.h - y
  return { x, y, w: Math.max(1, w), h: Math.max(1, h) }
}
