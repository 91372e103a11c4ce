import { describe, expect, it } from 'vitest'
import { BOX_SUPERVISION, boxSupervisionRequest, DEFAULT_BOX_SUPERVISION } from '../../src/renderer/src/components/boxSupervision'
import { BOX_LOSSES, trainingRequestSchema } from '../../src/shared/jobs'

describe("the Fine-tune panel's box supervision", () => {
  it('offers every localization term the trainer has, the reference recipe first and by default', () => {
    expect(Object.keys(BOX_SUPERVISION).sort()).toEqual([...BOX_LOSSES].sort())
    expect(Object.keys(BOX_SUPERVISION)[0]).toBe('fill+mass')
    expect(DEFAULT_BOX_SUPERVISION).toBe('fill+mass')
  })

  it('sends the term with its λ candidates (mass: the trainer defaults), and every request passes the job map', () => {
    expect(boxSupervisionRequest('fill+mass')).toEqual({ boxes: true, boxLoss: 'fill+mass', boxWeights: [10, 30] })
    expect(boxSupervisionRequest('mass')).toEqual({ boxes: true, boxLoss: 'mass' })
    for (const loss of BOX_LOSSES)
      expect(trainingRequestSchema.safeParse({ layers: 'head+last-block', ...boxSupervisionRequest(loss) }).success).toBe(true)
  })
})
