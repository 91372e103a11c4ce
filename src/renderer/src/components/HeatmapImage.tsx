/**
 * The heatmap overlay as a Konva node. The low-resolution map (e.g. 8×8) is upsampled and coloured
 * into a small canvas (renderHeatmap), which Konva draws stretched over the whole image with image
 * smoothing on; values below the overlay's floor are transparent, so the radiograph reads through
 * where the model does not point. It lives in the image's transformed group, in IMAGE pixel
 * coordinates, so it stays registered with the anatomy at any zoom or pan.
 */
import { useMemo } from 'react'
import { Image as KonvaImage } from 'react-konva'
import type { HeatmapData } from '../../../shared/domain'
import type { ColormapName } from '../canvas/colormaps'
import { renderHeatmap } from '../canvas/heatmapPixels'

export const HEATMAP_NODE_NAME = 'case-heatmap'

export interface HeatmapOverlay {
  map: HeatmapData
  colormap: ColormapName
  opacity: number
  /** Min–max values below this share of the range are transparent (the alpha ramp's threshold). */
  floor: number
  visible: boolean
}

/** What the test hook reports about the overlay. */
export function describeOverlay(overlay: HeatmapOverlay | null) {
  if (!overlay) return null
  const { map, opacity, visible, colormap, floor } = overlay
  return { finding: map.finding, method: map.method, width: map.width, height: map.height, visible, opacity, colormap, floor }
}

function paint(map: HeatmapData, colormap: ColormapName, floor: number): HTMLCanvasElement | null {
  try {
    const { width, height, rgba } = renderHeatmap(map, colormap, undefined, undefined, floor)
    const canvas = document.createElement('canvas')
    canvas.width = width
    canvas.height = height
    canvas.getContext('2d')?.putImageData(new ImageData(rgba, width, height), 0, 0)
    return canvas
  } catch (error) {
    console.warn('heatmap not drawn:', error)
    return null
  }
}

export interface HeatmapImageProps {
  overlay: HeatmapOverlay
  /** The image's size in its own pixels: the map covers all of it. */
  width: number
  height: number
}

export function HeatmapImage({ overlay, width, height }: HeatmapImageProps) {
  const { map, colormap, opacity, floor, visible } = overlay
  const canvas = useMemo(() => paint(map, colormap, floor), [map, colormap, floor])
  if (!canvas) return null
  return (
    <KonvaImage
      name={HEATMAP_NODE_NAME}
      image={canvas}
      x={0}
      y={0}
      width={width}
      height={height}
      opacity={opacity}
      visible={visible}
      listening={false}
    />
  )
}
