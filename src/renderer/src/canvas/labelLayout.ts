/**
 * Where box labels go on screen: next to their box, never over another label, always inside the
 * viewport. Pure (screen pixels in, positions out) so the rule is tested without a canvas. Each
 * label tries, in order: above the box's top-left corner, inside it at the top-left, below its
 * bottom-left corner, then the same three at the right edge; the first spot inside the viewport
 * that overlaps no label placed before wins (then the same spots pushed into the viewport). When none is free the label slides down from its
 * first spot until it is, and is finally clamped into the viewport (a label is never off screen).
 */
export interface ScreenRect {
  x: number
  y: number
  w: number
  h: number
}

export interface LabelRequest {
  /** The box the label names (screen pixels). */
  box: ScreenRect
  /** The label's own size (screen pixels). */
  width: number
  height: number
}

const GAP = 1

/** Labels keep this far apart, so that their outlines (drawn half outside the tag) never touch. */
const APART = 2

const overlaps = (a: ScreenRect, b: ScreenRect): boolean =>
  a.x < b.x + b.w + APART && b.x < a.x + a.w + APART && a.y < b.y + b.h + APART && b.y < a.y + a.h + APART

function inside(r: ScreenRect, view: { width: number; height: number }): boolean {
  return r.x >= 0 && r.y >= 0 && r.x + r.w <= view.width && r.y + r.h <= view.height
}

function clampInto(r: ScreenRect, view: { width: number; height: number }): ScreenRect {
  const x = Math.max(0, Math.min(r.x, view.width - r.w))
  const y = Math.max(0, Math.min(r.y, view.height - r.h))
  return { ...r, x, y }
}

function candidates({ box, width: w, height: h }: LabelRequest): ScreenRect[] {
  const left = box.x
  const right = box.x + box.w - w
  const spots: ScreenRect[] = []
  for (const x of [left, right]) {
    spots.push({ x, y: box.y - h - GAP, w, h }, { x, y: box.y + GAP, w, h }, { x, y: box.y + box.h + GAP, w, h })
  }
  return spots
}

/** Label rectangles in the order of `requests` (labels placed first keep the best spots). */
export function layoutLabels(requests: readonly LabelRequest[], view: { width: number; height: number }): ScreenRect[] {
  const placed: ScreenRect[] = []
  const free = (r: ScreenRect) => !placed.some((p) => overlaps(p, r))
  for (const request of requests) {
    const raw = candidates(request)
    const spots = raw.map((r) => clampInto(r, view))
    // A spot that fits as it is first; then one pushed into the viewport.
    let chosen = raw.find((r) => inside(r, view) && free(r)) ?? spots.find(free)
    if (!chosen) {
      // Slide down (then up) from the first spot one label height at a time until it is free.
      const start = spots[0]!
      const step = request.height + GAP
      for (let i = 1; i <= 40 && !chosen; i++) {
        for (const dy of [i * step, -i * step]) {
          const r = clampInto({ ...start, y: start.y + dy }, view)
          if (free(r)) {
            chosen = r
            break
          }
        }
      }
    }
    placed.push(chosen ?? spots[0]!)
  }
  return placed
}
