import { beforeAll, describe, expect, it } from 'vitest'
import { CaseStore } from '../../src/main/store/caseStore'
import { openDatabase } from '../../src/main/store/database'
import type { CaseStatus } from '../../src/shared/domain'

const AT = '2026-01-01T00:00:00.000Z'
const store = new CaseStore(openDatabase(':memory:'))

/** 40 cases: every 4th has a Mass box, findings cycle, statuses cycle, ages 20..59. */
beforeAll(() => {
  const findings = ['Mass', 'Effusion', 'No Finding', 'Hernia']
  const statuses: CaseStatus[] = ['new', 'in_review', 'reviewed']
  store.transaction(() => {
    for (let i = 0; i < 40; i++) {
      const name = `${String(i).padStart(8, '0')}_00${i % 3}.png`
      const patientId = store.cases.ensurePatient(`p${i % 10}`, i % 2 ? 'M' : 'F', AT)
      const id = store.cases.insert({
        imageName: name,
        patientId,
        path: `/x/${name}`,
        sha256: String(i).padStart(64, '0'),
        format: 'png',
        width: 1024,
        height: 1024,
        bitDepth: 8,
        channels: 1,
        view: 'PA',
        age: 20 + i,
        sex: i % 2 ? 'M' : 'F',
        followUp: 0,
        originalWidth: null,
        originalHeight: null,
        pixelSpacingX: null,
        pixelSpacingY: null,
        importedAt: AT,
      })
      store.annotations.addLabel(id, findings[i % 4], 'dataset', 'NIH', AT)
      if (i % 4 === 0)
        store.annotations.addBox({ caseId: id, finding: 'Mass', x: 1, y: 1, w: 10, h: 10, source: 'dataset', author: 'NIH', at: AT })
      store.cases.setStatus(id, statuses[i % 3])
    }
  })
})

describe('worklist query', () => {
  it('pages in image order with a total', () => {
    const first = store.worklist.query({ limit: 15 })
    const second = store.worklist.query({ limit: 15, offset: 15 })
    expect(first.total).toBe(40)
    expect(first.rows).toHaveLength(15)
    expect(first.rows[0]).toMatchObject({ image: '00000000_000.png', patient: 'p0', findings: ['Mass'], boxes: 1, status: 'new' })
    expect(second.rows[0].image).toBe('00000015_000.png')
  })

  it('filters by finding, boxes, status and text, alone and combined', () => {
    expect(store.worklist.query({ finding: 'Mass' }).total).toBe(10)
    expect(store.worklist.query({ finding: 'Custom finding' }).total).toBe(0)
    expect(store.worklist.query({ hasBoxes: true }).total).toBe(10)
    expect(store.worklist.query({ hasBoxes: false }).total).toBe(30)
    expect(store.worklist.query({ status: 'reviewed' }).total).toBe(13)
    expect(store.worklist.query({ search: '_001' }).total).toBe(13)
    expect(store.worklist.query({ finding: 'Effusion', status: 'in_review' }).rows.map((r) => r.image)).toEqual([
      '00000001_001.png',
      '00000013_001.png',
      '00000025_001.png',
      '00000037_001.png',
    ])
  })

  it('treats LIKE wildcards in the search text literally', () => {
    expect(store.worklist.query({ search: '%' }).total).toBe(0)
    expect(store.worklist.query({ search: '0000001_' }).total).toBe(1) // '_' would match 00000010..19 as a wildcard
  })

  it('sorts by age, boxes and status both ways', () => {
    expect(store.worklist.query({ sort: 'age', order: 'desc', limit: 1 }).rows[0].age).toBe(59)
    expect(store.worklist.query({ sort: 'boxes', order: 'desc', limit: 10 }).rows.every((r) => r.boxes === 1)).toBe(true)
    expect(store.worklist.query({ sort: 'status', limit: 1 }).rows[0].status).toBe('in_review')
  })

  it('counts cases per finding', () => {
    expect(store.worklist.findingCounts()).toContainEqual({ finding: 'Hernia', cases: 10 })
  })
})
