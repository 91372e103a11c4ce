/** The image→screen transform of the case canvas (screen = image * scale + offset), as pure maths. */

export interface ViewTransform {
  scale: number
  x: number
  y: number
}

export interface Size {
  width: number
  height: number
}

const FIT_MARGIN = 0.98
export const MAX_SCALE = 32

/** Whole image visible and centred. */
export function fitTransform(image: Size, viewport: Size): ViewTransform {
  if (image.width <= 0 || image.height <= 0 || viewport.width <= 0 || viewport.height <= 0) return { scale: 1, x: 0, y: 0 }
  const scale = Math.min(viewport.width / image.width, viewport.height / image.height) * FIT_MARGIN
  return { scale, x: (viewport.width - image.width * scale) / 2, y: (viewport.height - image.height * scale) / 2 }
}

/** Zoom by `factor` keeping the image point under `pointer` (screen coordinates) fixed. */
export function zoomAround(view: ViewTransform, pointer: { x: number; y: number }, factor: number, minScale: number): ViewTransform {
  const scale = Math.min(MAX_SCALE, Math.max(minScale, view.scale * factor))
  const imageX = (pointer.x - view.x) / view.scale
  const imageY = (pointer.y - view.y) / view.scale
  return { scale, x: pointer.x - imageX * scale, y: pointer.y - imageY * scale }
}

/** Wheel delta → zoom factor; about 10% per notch, smooth for trackpads. */
export function wheelZoomFactor(deltaY: number): number {
  return Math.exp(-Math.max(-100, Math.min(100, deltaY)) * 0.001)
}
