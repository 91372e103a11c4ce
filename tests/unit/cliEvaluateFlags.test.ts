import { describe, expect, it } from 'vitest'
import type { CliContext } from '../../src/main/cli/cliContext'
import { EVALUATE_USAGE, runEvaluate } from '../../src/main/cli/cliEvaluate'

// Flags are checked before any model is opened: a context that is never touched is enough.
const ctx = {} as CliContext
const base = ['--images', 'x', '--labels', 'y.csv', '--out', 'r.json']

describe('evaluate flags', () => {
  it('documents the new flags in its usage', () => {
    for (const flag of [
      '--protocol cxrlens|chestxray8',
      '--compare-method',
      '--compare-predictions FILE.csv',
      '--faithfulness',
      '--sanity',
      '--bootstrap N',
    ])
      expect(EVALUATE_USAGE).toContain(flag)
  })

  it('refuses bad values with a usage error naming the flag', async () => {
    await expect(runEvaluate(ctx, [...base, '--protocol', 'wang'])).rejects.toThrow(/--protocol is cxrlens or chestxray8/)
    await expect(runEvaluate(ctx, [...base, '--compare-method', 'magic'])).rejects.toThrow(/--compare-method must be one of/)
    await expect(runEvaluate(ctx, [...base, '--bootstrap', '200'])).rejects.toThrow(/--bootstrap must be an integer from 1000/)
    await expect(runEvaluate(ctx, [...base, '--seed=-1'])).rejects.toThrow(/--seed must be an integer/)
    await expect(runEvaluate(ctx, [...base, '--sanity-images', '3'])).rejects.toThrow(/--sanity-images goes with --sanity/)
    await expect(runEvaluate(ctx, [...base, '--sanity', '--sanity-images', '0'])).rejects.toThrow(
      /--sanity-images must be an integer from 1/,
    )
  })
})
