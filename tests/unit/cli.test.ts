import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { BOXES_CSV, csvBoxes, HAS_NIH, imageFolder, LABELS_CSV, NIH_1024, tempDir } from './helpers'

const run = promisify(execFile)
const TSX = resolve(__dirname, '../../node_modules/.bin/tsx')
const CLI = resolve(__dirname, '../../src/main/cli/cliMain.ts')
const dir = tempDir()
afterAll(dir.cleanup)

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, [CLI, ...args], { env: { ...process.env, ...env } })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe.runIf(HAS_NIH)('cxr-lens CLI', () => {
  const dataDir = join(dir.path, 'data')
  const names = readdirSync(NIH_1024).sort().slice(0, 12)
  const folder = imageFolder(dir.path, NIH_1024, names, { 'broken.png': readFileSync(join(NIH_1024, names[0])).subarray(0, 500) })

  it('imports, naming each failure and printing the rate', async () => {
    const { code, stdout } = await cli(['import', '--images', folder, '--labels', LABELS_CSV, '--boxes', BOXES_CSV, '--data-dir', dataDir])
    expect(code).toBe(0)
    expect(stdout).toMatch(/^imported 12, skipped 0 already imported, failed 1 \(13 images scanned\)/)
    expect(stdout).toMatch(/failed \(1\):\n {2}broken.png: /)
    expect(stdout).toMatch(/\d+(\.\d)? images\/s/)
  })

  it('re-imports nothing twice', async () => {
    const { stdout } = await cli(['import', '--images', folder, '--labels', LABELS_CSV, '--boxes', BOXES_CSV, '--data-dir', dataDir, '--json'])
    expect(JSON.parse(stdout)).toMatchObject({ imported: 0, duplicates: 12, boxesAdded: 0 })
  })

  it('lists cases as JSON with the documented fields, honouring CXR_LENS_DATA', async () => {
    const { code, stdout } = await cli(['cases', '--json'], { CXR_LENS_DATA: dataDir })
    expect(code).toBe(0)
    const parsed = JSON.parse(stdout) as { total: number; cases: Array<{ image: string; findings: string[]; boxes: number }> }
    expect(parsed.total).toBe(12)
    expect(Object.keys(parsed.cases[0]).sort()).toEqual(['boxes', 'findings', 'image'])
    const boxes = csvBoxes()
    expect(parsed.cases.reduce((n, c) => n + c.boxes, 0)).toBe(names.reduce((n, name) => n + (boxes.get(name)?.length ?? 0), 0))
    const limited = JSON.parse((await cli(['cases', '--json', '--limit', '3', '--finding', 'No Finding', '--data-dir', dataDir])).stdout)
    expect(limited.cases.length).toBeLessThanOrEqual(3)
    expect(limited.cases.every((c: { findings: string[] }) => c.findings.includes('No Finding'))).toBe(true)
  })

  it('exits 2 with usage on a bad command line and 1 with a named input on a bad file', async () => {
    expect((await cli(['import', '--data-dir', dataDir])).code).toBe(2)
    expect((await cli(['frobnicate'])).stderr).toMatch(/unknown command "frobnicate"/)
    const bad = await cli(['import', '--images', folder, '--labels', join(folder, 'broken.png'), '--data-dir', dataDir])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/broken.png/)
  })
})
