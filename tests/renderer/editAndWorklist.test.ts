import { describe, expect, it } from 'vitest'
import { displayedMap, createHeatmapEditStore } from '../../src/renderer/src/stores/heatmapEditStore'
import { createWorklistStore, DEFAULT_FILTERS, toWorklistQuery } from '../../src/renderer/src/stores/worklistStore'
import { createFakeServer, heatmap, row, settle } from './fakeServer'

describe('heatmap edit store (3×3 map over a 300×300 image)', () => {
  const values = [0, 1, 2, 3, 4, 5, 6, 7, 8]
  function editing() {
    const fake = createFakeServer({
      'heatmaps:versions': ({ id }: { id: number }) => [{ id, editedFrom: null, author: null, createdAt: 'x' }],
      'heatmaps:saveEdit': ({ baseId, values: edited }: { baseId: number; values: number[] }) => ({
        ...heatmap(77, 1, 'Mass', edited),
        editedFrom: baseId,
        author: 'Advisor',
      }),
    })
    const store = createHeatmapEditStore(fake.api)
    store.follow(heatmap(10, 1, 'Mass', values))
    store.startEdit()
    return { fake, store }
  }
  const shown = (store: ReturnType<typeof createHeatmapEditStore>) => displayedMap(store.getState())!.values

  it("brushes whole cells: add sets them to the map's maximum, erase to its minimum (or 0)", () => {
    const { store } = editing()
    store.paintAt(150, 150, 300, 300)
    expect(shown(store)).toEqual([0, 1, 2, 3, 8, 5, 6, 7, 8])
    store.setBrush({ brushMode: 'erase', brushSize: 2 })
    store.paintAt(10, 10, 300, 300) // the corner cell and its neighbours within the brush
    expect(shown(store)).toEqual([0, 0, 2, 0, 0, 5, 6, 7, 8])
    store.paintAt(-50, 10, 300, 300) // off the image: cells that exist only
    expect(shown(store)).toHaveLength(9)
  })

  it('thresholds the working copy to an Otsu mask, and resets it to the model map', () => {
    const { store } = editing()
    store.thresholdToMask()
    const mask = shown(store)
    expect(new Set(mask)).toEqual(new Set([0, 1]))
    // the mask keeps the high end of the map: every 1 is above every 0
    expect(Math.min(...values.filter((_, i) => mask[i] === 1))).toBeGreaterThan(Math.max(...values.filter((_, i) => mask[i] === 0)))
    store.resetToModel()
    expect(shown(store)).toEqual(values)
  })

  it('saves the working copy as a new version linked to the one viewed, then lists the versions again', async () => {
    const { fake, store } = editing()
    store.paintAt(10, 10, 300, 300)
    expect(await store.save(5)).toBe(true)
    expect(fake.calls.find((c) => c.channel === 'heatmaps:saveEdit')?.request).toEqual({
      baseId: 10,
      readerId: 5,
      values: [8, 1, 2, 3, 4, 5, 6, 7, 8],
    })
    expect(store.getState()).toMatchObject({ editing: false, working: null, viewMap: { id: 77, editedFrom: 10 } })
    await settle()
    expect(fake.channels().filter((c) => c === 'heatmaps:versions')).toHaveLength(2)
  })
})

describe('worklist store', () => {
  const rows = [1, 2, 3, 4].map(row)
  function worklist() {
    const opened: number[] = []
    const fake = createFakeServer({ 'cases:list': () => ({ total: rows.length, rows }) })
    const store = createWorklistStore(fake.api, (id) => opened.push(id))
    store.ensureRange(0, 3)
    return { store, opened }
  }

  it('tells the app as a case opens (once per new case), and names the rows beside it', async () => {
    const { store, opened } = worklist()
    await settle()
    store.openCase(2)
    store.openCase(2)
    store.openCase(null)
    expect(opened).toEqual([2])
    store.openCase(2)
    expect(store.neighbours()).toEqual([3, 1])
    expect(await store.openRelative(1)).toBe(true)
    expect(store.getState().openCaseId).toBe(3)
    expect(opened).toEqual([2, 2, 3])
    expect(store.neighbours()).toEqual([4, 2])
    await store.openRelative(1)
    expect(store.neighbours()).toEqual([3])
    expect(await store.openRelative(1)).toBe(false)
  })

  it('patches a batch of background results in one update; rows not loaded or not named stay as they were', async () => {
    const { store } = worklist()
    await settle()
    let updates = 0
    store.subscribe(() => updates++)
    const top = (finding: string) => [{ finding, probability: 0.9 }]
    const before = store.getState().pages[0]
    store.patchRows(
      new Map([
        [1, { topFindings: top('Mass') }],
        [3, { topFindings: top('Nodule') }],
        [99, { topFindings: top('Edema') }],
      ]),
    )
    expect(updates).toBe(1)
    const after = store.getState().pages[0]
    expect(after.map((r) => r.topFindings?.[0]?.finding ?? null)).toEqual([
      'Mass',
      before[1].topFindings?.[0]?.finding ?? null,
      'Nodule',
      before[3].topFindings?.[0]?.finding ?? null,
    ])
    expect(after[1]).toBe(before[1])
    store.patchRows(new Map([[99, { topFindings: top('Edema') }]]))
    store.patchRows(new Map())
    expect(updates).toBe(1)
  })

  it('a background result that repeats what a row shows changes nothing: no update, the rows and pages keep their identity', async () => {
    const { store } = worklist()
    await settle()
    const top = (finding: string, probability: number) => [{ finding, probability }]
    store.patchRows(new Map([[1, { topFindings: top('Mass', 0.9), ood: null }]]))
    let updates = 0
    store.subscribe(() => updates++)
    const page = store.getState().pages[0]
    // The same model again (a re-run, or another method of it): equal values, new objects.
    store.patchRows(new Map([[1, { topFindings: top('Mass', 0.9), ood: null }]]))
    expect(updates).toBe(0)
    expect(store.getState().pages[0]).toBe(page)
    store.patchRows(new Map([[1, { topFindings: top('Mass', 0.8) }]]))
    expect(updates).toBe(1)
    expect(store.getState().pages[0][0].topFindings).toEqual(top('Mass', 0.8))
    expect(store.getState().pages[0][1]).toBe(page[1])
  })

  it('sends filters as the api wants them: absent means any', () => {
    expect(toWorklistQuery(DEFAULT_FILTERS, 0, 100)).toEqual({ sort: 'image', order: 'asc', offset: 0, limit: 100 })
    expect(toWorklistQuery({ ...DEFAULT_FILTERS, finding: 'Mass', hasBoxes: 'no', status: 'reviewed', search: '  032 ' }, 100, 50)).toEqual(
      { sort: 'image', order: 'asc', offset: 100, limit: 50, finding: 'Mass', hasBoxes: false, status: 'reviewed', search: '032' },
    )
  })
})
