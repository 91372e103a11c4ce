/**
 * Colormaps for heatmap overlays: a value in [0, 1] → an RGB triple (0–255). Pure maths, no Konva
 * or DOM types, so it can be tested and reused anywhere.
 */

export const COLORMAPS = ['jet', 'viridis', 'hot'] as const
export type ColormapName = (typeof COLORMAPS)[number]

export const COLORMAP_LABELS: Record<ColormapName, string> = { jet: 'Jet', viridis: 'Viridis', hot: 'Hot' }

export type Rgb = readonly [number, number, number]

const clamp01 = (v: number): number => (v <= 0 ? 0 : v >= 1 ? 1 : v)

/** The classic MATLAB jet: dark blue → cyan → yellow → dark red. */
function jet(v: number): Rgb {
  return [clamp01(1.5 - Math.abs(4 * v - 3)) * 255, clamp01(1.5 - Math.abs(4 * v - 2)) * 255, clamp01(1.5 - Math.abs(4 * v - 1)) * 255]
}

/** matplotlib's hot: black → red → yellow → white. */
function hot(v: number): Rgb {
  return [clamp01((v * 8) / 3) * 255, clamp01((v * 8) / 3 - 1) * 255, clamp01(v * 4 - 3) * 255]
}

/** viridis sampled at 9 evenly spaced stops (perceptually uniform; linear between stops is close enough). */
const VIRIDIS_STOPS: readonly Rgb[] = [
  [68, 1, 84], [71, 45, 123], [59, 82, 139], [44, 114, 142], [33, 144, 140],
  [39, 173, 129], [93, 200, 99], [170, 220, 50], [253, 231, 37],
]

function viridis(v: number): Rgb {
  const position = clamp01(v) * (VIRIDIS_STOPS.length - 1)
  const index = Math.min(VIRIDIS_STOPS.length - 2, Math.floor(position))
  const t = position - index
  const a = VIRIDIS_STOPS[index]!
  const b = VIRIDIS_STOPS[index + 1]!
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]
}

const FUNCTIONS: Record<ColormapName, (v: number) => Rgb> = { jet, viridis, hot }

/** The colour of `value` (clamped to [0, 1]) in `name`, each channel rounded to an integer 0–255. */
export function colormapColor(name: ColormapName, value: number): Rgb {
  const [r, g, b] = FUNCTIONS[name](clamp01(Number.isFinite(value) ? value : 0))
  return [Math.round(r), Math.round(g), Math.round(b)]
}

const LUT_SIZE = 256
const luts = new Map<ColormapName, Uint8ClampedArray>()

/** A 256-entry RGB lookup table (768 bytes) for fast per-pixel colouring; built once per colormap. */
export function colormapLut(name: ColormapName): Uint8ClampedArray {
  let lut = luts.get(name)
  if (!lut) {
    lut = new Uint8ClampedArray(LUT_SIZE * 3)
    for (let i = 0; i < LUT_SIZE; i++) lut.set(colormapColor(name, i / (LUT_SIZE - 1)), i * 3)
    luts.set(name, lut)
  }
  return lut
}

export function isColormapName(value: string): value is ColormapName {
  return (COLORMAPS as readonly string[]).includes(value)
}
