import { boxLossColumn, type BoxTarget } from './camLoss'
import { FILL_TEMPERATURE, fillLossColumn, levelLossColumn } from './fillLoss'
import { BOX_LOSSES, type BoxLoss } from '../../shared/jobs'

/**
 * Which localization term box supervision uses: `mass` (−log of the softmax mass inside the box,
 * camLoss.ts; every model up to 3.1.0 was trained with it), `fill` (per-cell logistic loss on the
 * standardized map, fillLoss.ts), or `fill+mass` (their sum, both at the same λ). `fillTemperature` is
 * the fill term's τ (its default, 2, is what 3.2.0 and 3.3.0 were trained with); the mass term has none.
 * `levelWeight` adds the level term (fillLoss.ts, the variance of the standardized map inside the box)
 * beside a fill term, at that multiple of λ (absent or 0: none, as every model up to 3.5.0), for every
 * target but those marked `level: false`.
 */
export { BOX_LOSSES, type BoxLoss }

export type BoxLossColumn = (cam: Float32Array, grad: Float32Array, cells: number, C: number, target: BoxTarget, scale: number) => number

export function boxLossColumnOf(kind: BoxLoss = 'mass', fillTemperature = FILL_TEMPERATURE, levelWeight = 0): BoxLossColumn {
  if (!(fillTemperature > 0) || !Number.isFinite(fillTemperature)) throw new Error(`the fill temperature is a positive number, not ${fillTemperature}`)
  if (!(levelWeight >= 0) || !Number.isFinite(levelWeight)) throw new Error(`the level weight is a number ≥ 0, not ${levelWeight}`)
  if (levelWeight > 0 && kind === 'mass') throw new Error('the level term goes with the fill loss (fill or fill+mass), not mass')
  const fillOnly: BoxLossColumn = (cam, grad, cells, C, target, scale) => fillLossColumn(cam, grad, cells, C, target, scale, fillTemperature)
  const fill: BoxLossColumn = levelWeight
    ? (cam, grad, cells, C, target, scale) =>
        fillOnly(cam, grad, cells, C, target, scale) +
        (target.level === false ? 0 : levelWeight * levelLossColumn(cam, grad, cells, C, target, scale * levelWeight))
    : fillOnly
  if (kind === 'mass') return boxLossColumn
  if (kind === 'fill') return fill
  if (kind === 'fill+mass') return (cam, grad, cells, C, target, scale) => fill(cam, grad, cells, C, target, scale) + boxLossColumn(cam, grad, cells, C, target, scale)
  throw new Error(`the box loss is ${BOX_LOSSES.join(', ')}, not "${String(kind)}"`)
}
