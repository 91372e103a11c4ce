import { describe, expect, it } from 'vitest'
import { pairedTTest, studentTwoSidedP } from '../../src/main/stats/studentT'

describe('Student t', () => {
  it('matches tabulated two-sided p-values', () => {
    expect(studentTwoSidedP(2.776, 4)).toBeCloseTo(0.05, 3) // t(0.975, 4) = 2.776
    expect(studentTwoSidedP(2.228, 10)).toBeCloseTo(0.05, 3)
    expect(studentTwoSidedP(0, 7)).toBeCloseTo(1, 10)
    expect(studentTwoSidedP(63.657, 1)).toBeCloseTo(0.01, 3)
  })

  it('runs a paired test', () => {
    const r = pairedTTest([0.81, 0.79, 0.83, 0.8, 0.82], [0.78, 0.77, 0.8, 0.79, 0.78])!
    expect(r.df).toBe(4)
    expect(r.meanDifference).toBeCloseTo(0.026, 10)
    expect(r.p).toBeLessThan(0.01)
  })
})
