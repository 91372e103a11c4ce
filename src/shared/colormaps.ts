/**
 * Heatmap colour maps, shared by the viewer (canvas overlay) and the exports (PNG overlays) so a
 * map looks the same on screen and in a report: t ∈ [0, 1] → [r, g, b] bytes, t clamped.
 */
export const COLORMAP_NAMES = ['jet', 'viridis', 'hot'] as const
export type ColormapName = (typeof COLORMAP_NAMES)[number]
export type Rgb = [number, number, number]

export const COLORMAP_LABELS: Record<ColormapName, string> = { jet: 'Jet', viridis: 'Viridis', hot: 'Hot' }

export function isColormapName(value: string): value is ColormapName {
  return (COLORMAP_NAMES as readonly string[]).includes(value)
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : Number.isFinite(v) ? v : 0)
const byte = (v: number): number => Math.round(clamp01(v) * 255)

/** MATLAB/OpenCV jet: blue (0,0,128) → cyan → yellow → red (128,0,0), piecewise linear. */
function jet(t: number): Rgb {
  const x = 4 * clamp01(t)
  return [byte(1.5 - Math.abs(x - 3)), byte(1.5 - Math.abs(x - 2)), byte(1.5 - Math.abs(x - 1))]
}

/** MATLAB hot: red ramps over [0, 3/8], green over [3/8, 3/4], blue over [3/4, 1]. */
function hot(t: number): Rgb {
  const v = clamp01(t)
  return [byte(v / 0.375), byte((v - 0.375) / 0.375), byte((v - 0.75) / 0.25)]
}

/**
 * matplotlib viridis sampled at t = k/32 from its 256-entry table (_cm_listed.py) and rounded;
 * linear interpolation between these stops stays within 2/255 of the full table.
 */
const VIRIDIS_STOPS: readonly Rgb[] = [
  [68, 1, 84],
  [71, 13, 96],
  [72, 24, 106],
  [72, 35, 116],
  [71, 45, 123],
  [69, 54, 129],
  [66, 64, 134],
  [63, 73, 137],
  [59, 82, 139],
  [55, 90, 141],
  [51, 99, 141],
  [47, 106, 142],
  [44, 114, 142],
  [41, 122, 142],
  [38, 129, 142],
  [35, 137, 142],
  [33, 144, 140],
  [31, 152, 139],
  [31, 159, 136],
  [33, 166, 133],
  [40, 174, 128],
  [49, 181, 123],
  [62, 188, 116],
  [76, 194, 108],
  [93, 201, 99],
  [110, 206, 88],
  [130, 211, 76],
  [150, 216, 63],
  [171, 220, 50],
  [192, 223, 36],
  [213, 226, 26],
  [234, 229, 26],
  [253, 231, 37],
]

function viridis(t: number): Rgb {
  const pos = clamp01(t) * (VIRIDIS_STOPS.length - 1)
  const i = Math.min(Math.floor(pos), VIRIDIS_STOPS.length - 2)
  const f = pos - i
  const a = VIRIDIS_STOPS[i]
  const b = VIRIDIS_STOPS[i + 1]
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)]
}

export const COLORMAPS: Readonly<Record<ColormapName, (t: number) => Rgb>> = { jet, viridis, hot }

const luts = new Map<ColormapName, Uint8ClampedArray>()

/** A 256-entry RGB table (built once per map) so per-pixel colouring is a lookup, not a call. */
export function colormapLut(name: ColormapName): Uint8ClampedArray {
  let lut = luts.get(name)
  if (!lut) {
    const fn = COLORMAPS[name]
    if (!fn) throw new Error(`unknown colormap '${name}'`)
    lut = new Uint8ClampedArray(256 * 3)
    for (let i = 0; i < 256; i++) lut.set(fn(i / 255), i * 3)
    luts.set(name, lut)
  }
  return lut
}
