import { describe, expect, it } from 'vitest'
import { createAnalysisStore } from '../../src/renderer/src/stores/analysisStore'
import { createFakeServer, heatmap, model, settle } from './fakeServer'

const probabilities: Record<number, Array<{ finding: string; probability: number }>> = {
  1: [
    { finding: 'Mass', probability: 0.2 },
    { finding: 'Nodule', probability: 0.7 },
    { finding: 'Effusion', probability: 0.1 },
  ],
  2: [
    { finding: 'Mass', probability: 0.9 },
    { finding: 'Nodule', probability: 0.3 },
    { finding: 'Effusion', probability: 0.4 },
  ],
  3: [],
}

function server(models = [model('m', true)]) {
  return createFakeServer({
    'models:list': () => models,
    'analysis:predictions': ({ caseId }: { caseId: number }) => ({
      model: { id: 'm', version: '1.0.0' },
      probabilities: probabilities[caseId] ?? [],
      // Case 2 is out of distribution for the model.
      ood: caseId === 2 ? { method: 'mahalanobis', score: 61.5, threshold: 36.7, flagged: true, acquisition: null } : null,
      oodUnavailable: null,
    }),
    'heatmaps:get': ({ caseId, finding }: { caseId: number; finding: string }) => heatmap(caseId * 100, caseId, finding),
  })
}

describe('analysis store', () => {
  it("carries the model's out-of-distribution mark of the open case, and forgets it on the next case", async () => {
    const fake = server()
    const store = createAnalysisStore(fake.api)
    store.openCase(2)
    await settle()
    expect(store.getState().ood).toMatchObject({ flagged: true, score: 61.5 })
    store.openCase(1)
    expect(store.getState().ood).toBeNull()
    await settle()
    expect(store.getState().ood).toBeNull()
  })

  it("opens a case: models, then predictions highest first, then the top finding's heatmap", async () => {
    const fake = server()
    const store = createAnalysisStore(fake.api)
    store.openCase(1)
    await settle()
    const state = store.getState()
    expect(fake.channels()).toEqual(['models:list', 'analysis:predictions', 'heatmaps:get'])
    expect(state.modelKey).toBe('m@1.0.0')
    expect(state.predictions.map((p) => p.finding)).toEqual(['Nodule', 'Mass', 'Effusion'])
    expect(state.finding).toBe('Nodule')
    expect(state.heatmap).toMatchObject({ caseId: 1, finding: 'Nodule' })
  })

  it("with the model list known, asks for the results at once, beside the list's refresh", async () => {
    const fake = server()
    const store = createAnalysisStore(fake.api)
    store.openCase(1)
    await settle()
    fake.calls.length = 0
    fake.hold('models:list')
    store.openCase(2)
    await settle()
    expect(fake.channels()).toEqual(['analysis:predictions', 'models:list', 'heatmaps:get'])
    expect(store.getState().heatmap).toMatchObject({ caseId: 2, finding: 'Mass' })
    // An unchanged list does not load the results again.
    fake.release('models:list')
    await settle()
    expect(fake.channels().filter((c) => c === 'analysis:predictions')).toHaveLength(1)
  })

  it('shows prefetched results in the same update that opens the case', async () => {
    const fake = server()
    const store = createAnalysisStore(fake.api)
    store.openCase(1)
    await settle()
    store.prefetch(2)
    await settle()
    fake.calls.length = 0
    store.openCase(2)
    // no await: already there
    expect(store.getState()).toMatchObject({ caseId: 2, finding: 'Mass', heatmap: { caseId: 2, finding: 'Mass' } })
    await settle()
    expect(fake.channels()).toEqual(['models:list'])
    // taken once: opening it again asks the server
    store.openCase(1)
    store.openCase(2)
    await settle()
    expect(fake.channels().filter((c) => c === 'analysis:predictions')).toHaveLength(2)
  })

  it('drops answers that arrive after another case was opened', async () => {
    const fake = server()
    const store = createAnalysisStore(fake.api)
    store.openCase(1)
    await settle()
    fake.hold('analysis:predictions')
    store.openCase(2)
    store.openCase(3)
    fake.release('analysis:predictions')
    await settle()
    expect(store.getState()).toMatchObject({ caseId: 3, predictions: [], finding: null, heatmap: null })
  })

  it('reloads the results when a refreshed list changes the chosen model', async () => {
    const models = [model('m', true)]
    const fake = server(models)
    const store = createAnalysisStore(fake.api)
    store.openCase(1)
    await settle()
    models.splice(0, 1, model('other', true))
    fake.calls.length = 0
    store.openCase(2)
    await settle()
    expect(store.getState().modelKey).toBe('other@1.0.0')
    expect(fake.calls.filter((c) => c.channel === 'analysis:predictions').map((c) => (c.request as { model: string }).model)).toEqual([
      'm',
      'other',
    ])
  })

  it("opens each case on the worklist filter, else its boxes' finding, else the top one, says why, and reports the predictions", async () => {
    const fake = server()
    let filter: string | null = 'Effusion'
    let boxes: readonly string[] | Promise<readonly string[]> | null = null
    const reported: Array<[number, string]> = []
    const store = createAnalysisStore(fake.api, {
      filterFinding: () => filter,
      boxFindings: () => boxes,
      onPredictions: (caseId, _model, predictions) => reported.push([caseId, predictions[0]!.finding]),
    })
    store.openCase(1)
    await settle()
    expect(store.getState()).toMatchObject({ finding: 'Effusion', findingReason: 'filter', heatmap: { caseId: 1, finding: 'Effusion' } })
    filter = null
    boxes = Promise.resolve(['Mass'])
    store.openCase(1)
    await settle()
    expect(store.getState()).toMatchObject({ finding: 'Mass', findingReason: 'boxes', heatmap: { caseId: 1, finding: 'Mass' } })
    // the reader's pick on this case is kept when the model changes nothing about it
    store.selectFinding('Effusion')
    await settle()
    expect(store.getState()).toMatchObject({ finding: 'Effusion', findingReason: 'reader' })
    // another case does not inherit it
    boxes = []
    store.openCase(2)
    await settle()
    expect(store.getState()).toMatchObject({ caseId: 2, finding: 'Mass', findingReason: 'top' })
    expect(reported).toEqual([
      [1, 'Nodule'],
      [1, 'Nodule'],
      [2, 'Mass'],
    ])
  })

  it('asks for the map it expects beside the predictions (one round trip), and for the right one when the guess was wrong', async () => {
    const fake = server()
    let top: string | null = 'Nodule'
    const store = createAnalysisStore(fake.api, {
      filterFinding: () => null,
      boxFindings: () => null,
      onPredictions: () => undefined,
      knownTopFinding: () => top,
    })
    store.openCase(1)
    await settle()
    fake.calls.length = 0
    // The map is on its way before the predictions answer.
    fake.hold('analysis:predictions')
    store.openCase(1)
    await settle()
    expect(fake.channels().slice(0, 2)).toEqual(['heatmaps:get', 'analysis:predictions'])
    expect(store.getState().heatmap).toBeNull()
    fake.release('analysis:predictions')
    await settle()
    expect(store.getState()).toMatchObject({ finding: 'Nodule', findingReason: 'top', heatmap: { caseId: 1, finding: 'Nodule' } })
    expect(fake.channels().filter((c) => c === 'heatmaps:get')).toHaveLength(1)
    // A stale row (its top finding was Effusion): the guess's map is not used, the right one is fetched.
    top = 'Effusion'
    fake.calls.length = 0
    store.openCase(2)
    await settle()
    expect(store.getState()).toMatchObject({ caseId: 2, finding: 'Mass', heatmap: { caseId: 2, finding: 'Mass' } })
    expect(fake.calls.filter((c) => c.channel === 'heatmaps:get').map((c) => (c.request as { finding: string }).finding)).toEqual([
      'Effusion',
      'Mass',
    ])
  })
})
