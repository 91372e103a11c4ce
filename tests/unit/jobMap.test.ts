import { describe, expect, expectTypeOf, it } from 'vitest'
import { contract } from '../../src/shared/contract'
import { JOB_KINDS, jobMap, type JobStatus, type JobStatusOf, type TrainResult } from '../../src/shared/jobs'
import type { ImportSummary } from '../../src/shared/domain'
import { jobRunners } from '../../src/main/jobs/jobRunners'
import { fineTuneRequestOf } from '../../src/main/training/trainingRequest'

describe('the job map', () => {
  it('has a runner for every kind and nothing else', () => {
    expect(Object.keys(jobRunners).sort()).toEqual([...JOB_KINDS].sort())
  })

  it('is what the start channels validate with', () => {
    expect(contract['import:start'].request).toBe(jobMap.import.request)
    expect(contract['import:dicom'].request).toBe(jobMap.importDicom.request)
    expect(contract['analysis:start'].request).toBe(jobMap.analyze.request)
    expect(contract['training:start'].request).toBe(jobMap.train.request)
  })

  it('lets the UI reach the options the CLI has (grid, samples, seed; patience, learning rate, seed)', () => {
    expect(jobMap.analyze.request.safeParse({ caseIds: [1], methods: ['kernelshap'], grid: 6, samples: 200, seed: 3 }).success).toBe(true)
    expect(jobMap.train.request.safeParse({ patience: 3, learningRate: 0.01, seed: 2 }).success).toBe(true)
    // Still strict and bounded at the boundary.
    expect(jobMap.analyze.request.safeParse({ caseIds: [1], methods: [], grid: 0 }).success).toBe(false)
    expect(jobMap.train.request.safeParse({ learningRate: -1 }).success).toBe(false)
    expect(jobMap.train.request.safeParse({ lr: 0.1 }).success).toBe(false)
  })

  it('maps a training request once, leaving out what was not chosen (the checkpoint hash covers the options)', () => {
    expect(fineTuneRequestOf({})).toEqual({
      layers: 'head',
      options: {},
      model: undefined,
      version: undefined,
      folds: undefined,
      fresh: undefined,
    })
    expect(
      fineTuneRequestOf({
        model: 'm',
        layers: 'head+last-block',
        epochs: 4,
        patience: 2,
        loss: 'focal',
        balance: 'smote',
        learningRate: 0.01,
        seed: 7,
        folds: 3,
        fresh: true,
      }),
    ).toEqual({
      model: 'm',
      version: undefined,
      layers: 'head+last-block',
      folds: 3,
      fresh: true,
      options: { maxEpochs: 4, patience: 2, loss: 'focal', balance: 'smote', learningRate: 0.01, seed: 7 },
    })
  })

  it('types a status by kind (a discriminated union; checked by tsc)', () => {
    const status = { jobId: 'j', kind: 'train', state: 'succeeded', done: 1, total: 1, message: '' } as JobStatus
    if (status.kind === 'train') expectTypeOf(status.result).toEqualTypeOf<TrainResult | undefined>()
    if (status.kind === 'import') expectTypeOf(status.result).toEqualTypeOf<ImportSummary | undefined>()
    expectTypeOf<JobStatusOf<'analyze'>['kind']>().toEqualTypeOf<'analyze'>()
    expect(status.kind).toBe('train')
  })
})
