/**
 * Domain Box → what the canvas draws. Plain numbers in IMAGE pixel space: the layer group carries
 * the view transform, so these never change with zoom or pan. No Konva types here.
 */
import type { Box } from '../../../shared/domain'
import { findingColor } from './findingColors'

export interface BoxRect {
  id: number
  x: number
  y: number
  width: number
  height: number
  stroke: string
  label: string
}

export function boxToRect(box: Box): BoxRect {
  return { id: box.id, x: box.x, y: box.y, width: box.w, height: box.h, stroke: findingColor(box.finding), label: box.finding }
}
