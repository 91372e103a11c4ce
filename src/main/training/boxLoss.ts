import { boxLossColumn, type BoxTarget } from './camLoss'
import { fillLossColumn } from './fillLoss'
import { BOX_LOSSES, type BoxLoss } from '../../shared/jobs'

/**
 * Which localization term box supervision uses: `mass` (−log of the softmax mass inside the box,
 * camLoss.ts; every model up to 3.1.0 was trained with it), `fill` (per-cell logistic loss on the
 * standardized map, fillLoss.ts), or `fill+mass` (their sum, both at the same λ).
 */
export { BOX_LOSSES, type BoxLoss }

export type BoxLossColumn = (cam: Float32Array, grad: Float32Array, cells: number, C: number, target: BoxTarget, scale: number) => number

const fillAndMass: BoxLossColumn = (cam, grad, cells, C, target, scale) =>
  fillLossColumn(cam, grad, cells, C, target, scale) + boxLossColumn(cam, grad, cells, C, target, scale)

export function boxLossColumnOf(kind: BoxLoss = 'mass'): BoxLossColumn {
  if (kind === 'mass') return boxLossColumn
  if (kind === 'fill') return (cam, grad, cells, C, target, scale) => fillLossColumn(cam, grad, cells, C, target, scale)
  if (kind === 'fill+mass') return fillAndMass
  throw new Error(`the box loss is ${BOX_LOSSES.join(', ')}, not "${String(kind)}"`)
}
