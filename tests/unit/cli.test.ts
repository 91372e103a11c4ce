import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { BOXES_CSV, csvBoxes, HAS_NIH, imageFolder, LABELS_CSV, NIH_1024, tempDir } from './helpers'
import { CLI } from './builtCli'

const run = promisify(execFile)
const dir = tempDir()
afterAll(dir.cleanup)

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } })
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

  it('imports, naming each failure and printing the rate; a failed file makes the exit code 3', async () => {
    const { code, stdout } = await cli(['import', '--images', folder, '--labels', LABELS_CSV, '--boxes', BOXES_CSV, '--data-dir', dataDir])
    expect(code).toBe(3)
    expect(stdout).toMatch(/^imported 12, skipped 0 already imported, failed 1 \(13 images scanned\)/)
    expect(stdout).toMatch(/failed \(1\):\n {2}broken.png: /)
    expect(stdout).toMatch(/\d+(\.\d)? images\/s/)
  })

  it('re-imports nothing twice', async () => {
    const { stdout } = await cli([
      'import',
      '--images',
      folder,
      '--labels',
      LABELS_CSV,
      '--boxes',
      BOXES_CSV,
      '--data-dir',
      dataDir,
      '--json',
    ])
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

  it('imports a model package and lists it as JSON with the documented fields, default first', async () => {
    const fixture = resolve(__dirname, '../fixtures/engine/tiny-resnet')
    const before = JSON.parse((await cli(['models', '--json', '--data-dir', dataDir])).stdout)
    expect(before.models.every((m: { source: string }) => m.source === 'bundled')).toBe(true) // test models are never bundled
    const imported = await cli(['models', 'import', fixture, '--data-dir', dataDir])
    expect(imported.stdout).toMatch(/imported tiny-resnet 0.0.1-test \(14 findings\)/)
    const listed = JSON.parse((await cli(['models', '--json', '--data-dir', dataDir])).stdout)
    const tiny = listed.models.find((m: { id: string }) => m.id === 'tiny-resnet')
    expect(tiny).toMatchObject({ version: '0.0.1-test', source: 'imported', default: before.models.length === 0 })
    expect(listed.models[0].default).toBe(true) // the default model comes first: a bundled one when present
    expect(tiny.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(tiny.findings).toHaveLength(14)
    const bad = await cli(['models', 'import', folder, '--data-dir', dataDir])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/manifest.json cannot be read/)
  })

  it('infers and explains with the provider named, writing overlays and raw maps', async () => {
    const infer = JSON.parse((await cli(['infer', '--model', 'tiny-resnet', '--all', '--json', '--data-dir', dataDir])).stdout)
    expect(infer).toMatchObject({ model: { id: 'tiny-resnet', version: '0.0.1-test' }, provider: 'cpu' })
    expect(infer.cases).toHaveLength(12)
    expect(Object.keys(infer.cases[0].probabilities)).toHaveLength(14)
    // The test model has no out-of-distribution statistics: every case says null, and the output why.
    expect(infer.cases.every((c: { ood: unknown }) => c.ood === null)).toBe(true)
    expect(infer.ood_unavailable).toMatch(/^no out-of-distribution check: model tiny-resnet 0.0.1-test has no ood\.json/)
    const out = join(dir.path, 'overlays')
    const explained = await cli([
      'explain',
      '--model',
      'tiny-resnet',
      '--method',
      'gradcampp',
      '--finding',
      'Effusion',
      '--case',
      names[1],
      '--out',
      out,
      '--data-dir',
      dataDir,
    ])
    expect(explained.stdout).toMatch(/provider cpu, gradcampp: 1 heatmap/)
    const stem = join(out, `${names[1].replace('.png', '')}_Effusion_gradcampp`)
    expect(readFileSync(`${stem}.png`).subarray(1, 4).toString()).toBe('PNG')
    expect(JSON.parse(readFileSync(`${stem}.json`, 'utf8'))).toMatchObject({
      finding: 'Effusion',
      method: 'gradcampp',
      height: 8,
      width: 8,
    })
    expect(readFileSync(`${stem}.npy`).subarray(1, 6).toString()).toBe('NUMPY')
    expect((await cli(['explain', '--model', 'tiny-resnet', '--method', 'magic', '--all', '--data-dir', dataDir])).code).toBe(2)
  })

  it('infer and explain --json carry ood {score, threshold, flagged} from the reference model', async () => {
    const infer = JSON.parse(
      (await cli(['infer', '--model', 'cxr-mobilenet-v1', '--case', names[0], '--json', '--data-dir', dataDir])).stdout,
    )
    expect(infer.ood_unavailable).toBeNull()
    const ood = {
      score: expect.any(Number),
      threshold: expect.any(Number),
      flagged: expect.any(Boolean),
      method: 'mahalanobis',
      acquisition: null,
    }
    expect(infer.cases[0]).toMatchObject({ image: names[0], ood })
    const args = [
      '--model',
      'cxr-mobilenet-v1',
      '--method',
      'cam',
      '--finding',
      'Mass',
      '--case',
      names[0],
      '--json',
      '--data-dir',
      dataDir,
    ]
    const explained = JSON.parse((await cli(['explain', ...args])).stdout)
    expect(explained).toMatchObject({ ood_unavailable: null, cases: [{ ood: { ...ood, score: infer.cases[0].ood.score } }] })
  })

  it('explains with Score-CAM on the top N channels, and refuses a bad --channels', async () => {
    const out = join(dir.path, 'scorecam')
    const explained = await cli([
      'explain',
      '--model',
      'tiny-resnet',
      '--method',
      'scorecam',
      '--channels',
      '4',
      '--finding',
      'Mass',
      '--case',
      names[2],
      '--out',
      out,
      '--json',
      '--data-dir',
      dataDir,
    ])
    expect(explained.code).toBe(0)
    expect(JSON.parse(explained.stdout)).toMatchObject({
      method: 'scorecam',
      cases: [{ heatmaps: [{ finding: 'Mass', method: 'scorecam', width: 8, height: 8 }] }],
    })
    const stored = JSON.parse(readFileSync(join(out, `${names[2].replace('.png', '')}_Mass_scorecam.json`), 'utf8'))
    expect(stored.params).toMatchObject({ channels: 4, baseline: 'zero', output: 'probability' })
    const zero = await cli(['explain', '--model', 'tiny-resnet', '--method', 'scorecam', '--channels', '0', '--all', '--data-dir', dataDir])
    expect(zero.code).toBe(2)
    expect(zero.stderr).toMatch(/--channels must be a positive integer, got '0'/)
    expect(
      (await cli(['explain', '--model', 'tiny-resnet', '--method', 'gradcam', '--channels', '4', '--all', '--data-dir', dataDir])).stderr,
    ).toMatch(/--channels applies to --method scorecam only/)
  })

  it('checks, backs up, exports boxes and a PDF report', async () => {
    expect((await cli(['check', '--data-dir', dataDir])).stdout).toMatch(/integrity_check: ok/)
    const backup = join(dir.path, 'manual.sqlite')
    expect((await cli(['backup', '--out', backup, '--data-dir', dataDir])).stdout).toMatch(/backup written/)
    const coco = join(dir.path, 'boxes.json')
    expect((await cli(['export', 'boxes', '--format', 'coco', '--out', coco, '--data-dir', dataDir])).code).toBe(0)
    expect(JSON.parse(readFileSync(coco, 'utf8')).images).toHaveLength(12)
    if (existsSync('/usr/bin/chromium')) {
      const pdf = join(dir.path, 'report.pdf')
      const args = ['export', 'report', '--model', 'tiny-resnet', '--method', 'gradcampp', '--out', pdf, '--data-dir', dataDir]
      // Chromium runs sandboxed; root (CI containers) cannot, and must say so explicitly (issue 20)
      const root = process.getuid?.() === 0
      if (root) {
        const refused = await cli(args, { CXR_LENS_ALLOW_UNSANDBOXED_CHROMIUM: '' })
        expect(refused.code).toBe(1)
        expect(refused.stderr).toMatch(/--allow-unsandboxed-chromium/)
      }
      const result = await cli(root ? [...args, '--allow-unsandboxed-chromium'] : args)
      expect(result.stderr).toBe('')
      expect(readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-')
    }
  }, 180_000) // four CLI runs and a Chromium print: 14.5 s in the CI run of 1 December, a quarter of the default minute

  it('exits 2 with usage on a bad command line and 1 with a named input on a bad file', async () => {
    expect((await cli(['import', '--data-dir', dataDir])).code).toBe(2)
    expect((await cli(['frobnicate'])).stderr).toMatch(/unknown command "frobnicate"/)
    const bad = await cli(['import', '--images', folder, '--labels', join(folder, 'broken.png'), '--data-dir', dataDir])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/broken.png/)
  })
})
