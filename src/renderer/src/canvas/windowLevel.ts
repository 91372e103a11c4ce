/**
 * Window/level and invert as one linear map of the displayed grey values (0..1):
 * out = (v - (level - window/2)) / window, inverted as 1 - out. It is applied as an SVG
 * feComponentTransfer on the image layer's canvas only (overlay and boxes keep their colours), and
 * is skipped entirely for the identity so the default view costs nothing while panning.
 */
export interface WindowLevel {
  window: number
  level: number
  invert: boolean
}

export const WL_PRESETS = {
  default: { window: 1, level: 0.5 },
  lung: { window: 0.55, level: 0.38 },
  bone: { window: 0.45, level: 0.72 },
} as const

export type WlPreset = keyof typeof WL_PRESETS

export const DEFAULT_WL: WindowLevel = { ...WL_PRESETS.default, invert: false }

export function isIdentity(wl: WindowLevel): boolean {
  return !wl.invert && Math.abs(wl.window - 1) < 1e-6 && Math.abs(wl.level - 0.5) < 1e-6
}

/** Slope and intercept of the per-channel linear transfer. */
export function transfer(wl: WindowLevel): { slope: number; intercept: number } {
  const slope = 1 / wl.window
  const intercept = -(wl.level - wl.window / 2) / wl.window
  return wl.invert ? { slope: -slope, intercept: 1 - intercept } : { slope, intercept }
}

/** Right-drag: horizontal widens/narrows the window, vertical moves the level (drag down = brighter, as on PACS). */
export function dragWindowLevel(start: WindowLevel, dx: number, dy: number): WindowLevel {
  return { invert: start.invert, ...bounded(start.window * Math.exp(dx / 300), start.level - dy / 600) }
}

/**
 * The largest stored pixel value of an image of `bitDepth` bits (8-bit when unknown). The viewer
 * works on the decoded image's 0..1 range; the reader reads the stored values, so W/L is shown as
 * window × max and level × max (0–255 for an 8-bit PNG, 0–65535 for a 16-bit DICOM-derived one).
 */
export function pixelMaxOf(bitDepth: number | null): number {
  const bits = bitDepth !== null && Number.isInteger(bitDepth) && bitDepth >= 1 && bitDepth <= 16 ? bitDepth : 8
  return 2 ** bits - 1
}

/** "W 115 L 184" in stored pixel values. */
export function formatWindowLevel(wl: Pick<WindowLevel, 'window' | 'level'>, pixelMax: number): string {
  return `W ${Math.round(wl.window * pixelMax)} L ${Math.round(wl.level * pixelMax)}`
}

/** The bounds a right-drag keeps to: a window from 2 % to twice the stored range, a level inside it. */
function bounded(window: number, level: number): Pick<WindowLevel, 'window' | 'level'> {
  return { window: Math.min(2, Math.max(0.02, window)), level: Math.min(1, Math.max(0, level)) }
}

/**
 * The viewer's window for one given in stored pixel values (a DICOM file's WindowCenter/WindowWidth,
 * which import maps into the derived PNG's 0–65535 as it maps the pixels): window ÷ max, centre ÷ max,
 * held to the drag's bounds. Null when the file named no window or a nonsensical one (no width,
 * not finite), so the caller keeps the full range.
 */
export function storedWindowLevel(
  window: { windowCenter: number | null; windowWidth: number | null },
  pixelMax: number,
): Pick<WindowLevel, 'window' | 'level'> | null {
  const { windowCenter: center, windowWidth: width } = window
  if (center === null || width === null || !Number.isFinite(center) || !Number.isFinite(width) || width <= 0 || pixelMax <= 0) return null
  return bounded(width / pixelMax, center / pixelMax)
}
