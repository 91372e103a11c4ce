import { describe, expect, it } from 'vitest'
import { aggregateGlobal, globalSummarySvg } from '../../src/main/explain/globalExplanation'
import { COLORMAPS } from '../../src/shared/colormaps'

describe('global explanation', () => {
  const maps = [
    { caseId: 1, finding: 'Mass', height: 1, width: 2, data: [0.2, -0.4] },
    { caseId: 2, finding: 'Mass', height: 1, width: 2, data: [-0.6, 0.0] },
    { caseId: 2, finding: 'Mass', height: 1, width: 2, data: [9, 9] }, // a second map of the same case is ignored
    { caseId: 1, finding: 'Nodule', height: 1, width: 2, data: [0.1, 0.1] },
  ]

  it('averages |attribution| per region over cases, ordered by attribution mass', () => {
    const [mass, nodule] = aggregateGlobal(maps)
    expect(mass.finding).toBe('Mass')
    expect(mass.cases).toBe(2)
    expect(mass.meanAbs[0]).toBeCloseTo(0.4, 12)
    expect(mass.meanAbs[1]).toBeCloseTo(0.2, 12)
    expect(mass.meanTotal).toBeCloseTo(0.6, 12)
    expect(nodule.meanTotal).toBeCloseTo(0.2, 12)
  })

  it('refuses to average maps of different grids', () => {
    expect(() => aggregateGlobal([maps[0], { caseId: 3, finding: 'Mass', height: 2, width: 2, data: [0, 0, 0, 0] }])).toThrow(
      /cannot be averaged/,
    )
  })

  it('draws one panel per finding, escaping names', () => {
    const svg = globalSummarySvg(aggregateGlobal(maps), 'kernelshap <test>', COLORMAPS.viridis)
    expect(svg).toMatch(/^<svg /)
    expect(svg).toContain('Mass (n=2)')
    expect(svg).toContain('kernelshap &#60;test&#62;')
    expect(svg.match(/<rect x=/g)?.length).toBe(2 * 2 + 2) // 2 cells + 1 bar per finding
  })
})
