import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir } from './helpers'
import { CLI } from './builtCli'

/**
 * `cxr-lens train`'s 3.4 options at the boundary: each malformed or misplaced value is refused with
 * exit 2 and a message naming the flag, before any data is read (the data folder here is empty).
 */
const run = promisify(execFile)
const dir = tempDir()
afterAll(dir.cleanup)

async function train(extra: string[]): Promise<{ code: number; stderr: string }> {
  const args = ['train', '--data-dir', join(dir.path, 'data'), '--model', 'cxr-mobilenet-v1', ...extra]
  try {
    const { stderr } = await run(process.execPath, [CLI, ...args])
    return { code: 0, stderr }
  } catch (error) {
    const e = error as { code: number; stderr: string }
    return { code: e.code, stderr: e.stderr }
  }
}

const boxed = ['--layers', 'head+last-block', '--boxes', '--box-loss', 'fill+mass']

describe('cxr-lens train: --fill-temperature, --block-lr-scale, --box-finding-weights, --keep-epoch', () => {
  it.each([
    [[...boxed, '--fill-temperature', '0'], /--fill-temperature must be a number in \(0, 20\], not "0"/],
    [[...boxed, '--fill-temperature', 'warm'], /--fill-temperature must be a number/],
    [['--layers', 'head+last-block', '--boxes', '--fill-temperature', '4'], /--fill-temperature goes with --box-loss fill or fill\+mass/],
    [['--layers', 'head', '--block-lr-scale', '0.3'], /--block-lr-scale goes with --layers head\+last-block/],
    [['--layers', 'head+last-block', '--block-lr-scale', '20'], /--block-lr-scale must be a number in \(0, 10\]/],
    [['--layers', 'head+last-block', '--box-finding-weights', 'Cardiomegaly=3'], /--box-finding-weights goes with --boxes/],
    [[...boxed, '--box-finding-weights', 'Cardiomegaly'], /--box-finding-weights is a comma-separated list of FINDING=WEIGHT/],
    [[...boxed, '--box-finding-weights', 'Cardiomegaly=3,Cardiomegaly=4'], /each finding once/],
    [[...boxed, '--box-finding-weights', 'Cardiomegaly=300'], /weight 0…100/],
    [['--layers', 'head+last-block', '--boxes', '--level-weight', '2'], /--level-weight goes with --box-loss fill or fill\+mass/],
    [[...boxed, '--level-weight', '101'], /--level-weight must be a number in \[0, 100\]/],
    [[...boxed, '--level-findings', 'Cardiomegaly'], /--level-findings goes with --level-weight/],
    [[...boxed, '--level-weight', '1', '--level-findings', 'Cardiomegaly,Cardiomegaly'], /--level-findings is a comma-separated list/],
    [['--layers', 'head', '--keep-epoch', 'first'], /--keep-epoch is best-auroc or last, not "first"/],
  ])('%j is refused by name', { timeout: 60_000 }, async (extra, message) => {
    const { code, stderr } = await train(extra as string[])
    expect(code).toBe(2)
    expect(stderr).toMatch(message as RegExp)
  })
})
