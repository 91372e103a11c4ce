/**
 * No PHI in the installation log or in a diagnostics bundle (issue 20). DICOM files carrying a marker
 * in every identifying attribute, in folders and files named after the patient (tests/unit/phiMarkers.ts),
 * are imported through the real CLI (one of them corrupt, so its name is reported as a failure), a
 * failing CLI command quotes a marker path, and hostile requests carry markers through the dispatcher
 * into jobs that fail on them. Then every log file, and every file of the diagnostics bundles (the
 * CLI's and the app's channel), is searched for every marker (ASCII case-insensitive, UTF-8 and
 * UTF-16LE); the same markers are shown to be in what the CLI printed, so the search can fail.
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataFolder } from '../../src/main/config/dataFolder'
import { openServices, type Services as Core } from '../../src/main/services/openServices'
import { createDispatcher, type Dispatch } from '../../src/main/api/dispatch'
import { createHandlers } from '../../src/main/api/handlers'
import { machinePolicy } from '../../src/main/config/policy'
import { startLogging, stopLogging } from '../../src/main/logging/log'
import type { DiagnosticsResult } from '../../src/shared/domain'
import { writeDicom } from './dicomWriter'
import { HAS_NIH, NIH_256, tempDir } from './helpers'
import { findMarkers, plantedFile, type Hit, type Marker, type PlantedFile } from './phiMarkers'
import { CLI } from './builtCli'

const run = promisify(execFile)
const TINY_MODEL = resolve(__dirname, '../fixtures/engine/tiny-resnet')
const dir = tempDir('cxr-opsphi-')
afterAll(dir.cleanup)

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, CXR_LENS_LOG_LEVEL: 'trace' } })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

function* filesUnder(root: string): Generator<string> {
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name)
    if (entry.isDirectory()) yield* filesUnder(path)
    else if (entry.isFile()) yield path
  }
}

const scan = (root: string, markers: Marker[]): Hit[] =>
  [...filesUnder(root)].flatMap((file) => findMarkers(file, readFileSync(file), markers))
const describeHits = (hits: Hit[]) => hits.map((h) => `${h.where} = ${h.value} (${h.encoding}) in ${h.file}`)

const dataDir = join(dir.path, 'data')
const logsDir = join(dataDir, 'logs')
const dicomRoot = join(dir.path, 'pacs-export')
let planted: PlantedFile[]
let markers: Marker[]
const printed: string[] = []

beforeAll(async () => {
  if (!HAS_NIH) return
  planted = [0, 1].map(plantedFile)
  markers = planted.flatMap((p) => p.markers)
  const names = readdirSync(NIH_256).sort().slice(0, 2)
  for (const f of [0, 1]) {
    const pixels = new Uint8Array(await sharp(join(NIH_256, names[f])).greyscale().raw().toBuffer())
    const folder = join(dicomRoot, `${planted[f].patientId}_${planted[f].patientName.split('^')[0]}`)
    mkdirSync(folder, { recursive: true })
    const bytes = writeDicom({
      rows: 256,
      columns: 256,
      photometric: 'MONOCHROME2',
      bitsAllocated: 8,
      bitsStored: 8,
      pixels,
      sopInstanceUid: planted[f].sopInstanceUid,
      extra: planted[f].extra,
    })
    writeFileSync(join(folder, `${planted[f].markers[0].value}.dcm`), bytes)
    // and a truncated copy, named after the patient: it fails, and failures are reported by name
    if (f === 0) writeFileSync(join(folder, `${planted[f].markers[1].value}-cut.dcm`), bytes.subarray(0, 600))
  }

  const imported = await cli(['import', '--dicom', dicomRoot, '--json', '--data-dir', dataDir])
  expect(imported.code, imported.stderr).toBe(3) // the truncated file failed
  expect(JSON.parse(imported.stdout)).toMatchObject({
    imported: 2,
    failed: [expect.objectContaining({ name: expect.stringContaining(planted[0].markers[1].value) })],
  })
  printed.push(imported.stdout)
  const missing = join(dicomRoot, planted[1].patientId, 'labels.csv')
  const refused = await cli(['import', '--images', join(dicomRoot, planted[1].patientId), '--labels', missing, '--data-dir', dataDir])
  expect(refused.code).toBe(1)
  printed.push(refused.stderr)
}, 240_000)

describe.runIf(HAS_NIH)('operations without PHI', () => {
  let core: Core
  let dispatch: Dispatch

  beforeAll(async () => {
    startLogging({ dataDir, kind: 'web', policy: machinePolicy() })
    core = openServices(new DataFolder(dataDir), { kind: 'web' })
    dispatch = createDispatcher(createHandlers(core))
    const m = planted[0].patientId
    const n = planted[0].patientName
    // hostile requests: markers in the channel name, in unknown and invalid fields, in paths that jobs fail on
    expect(await dispatch(`cases:${m}`, {})).toMatchObject({ ok: false, error: { code: 'unknown_channel' } })
    expect(await dispatch('cases:list', { [m]: n, search: 5 })).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
    const jobs = [
      await dispatch('import:start', { imagesDir: join(dicomRoot, m), labelsCsv: join(dicomRoot, `${n}.csv`) }),
      await dispatch('import:dicom', { dicomDir: join(dicomRoot, `${m}-${n}`) }),
    ] as Array<{ ok: true; data: { jobId: string } }>
    for (const job of jobs) {
      const finished = await core.jobs.wait(job.data.jobId)
      expect(finished.state).toBe('failed')
      printed.push(finished.error ?? '')
    }
    // a model run, whose execution provider attempts the diagnostics' providers.json reports
    expect((await cli(['models', 'import', TINY_MODEL, '--data-dir', dataDir])).code).toBe(0)
    const inferred = await cli(['infer', '--model', 'tiny-resnet', '--all', '--data-dir', dataDir])
    expect(inferred.code, inferred.stderr).toBe(0)
  }, 180_000)

  afterAll(async () => {
    await core?.close()
    stopLogging()
  })

  it('the markers were in what the CLI and the jobs reported (so the search below can fail)', () => {
    expect(findMarkers('printed', Buffer.from(printed.join('\n')), markers).length).toBeGreaterThanOrEqual(3)
  })

  it('logs the events, with counts and scrubbed reasons, and no marker anywhere in the log files', () => {
    const log = readFileSync(join(logsDir, 'cxr-lens.log'), 'utf8')
    const records = log
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    const msgs = records.map((r) => `${r.proc}:${r.msg}`)
    expect(msgs).toEqual(
      expect.arrayContaining([
        'cli:cli command started',
        'cli:import finished',
        'cli:cli command failed',
        'web:job failed',
        'web:job started',
        'cli:execution provider attempts',
      ]),
    )
    expect(records.find((r) => r.msg === 'import finished')).toMatchObject({ kind: 'dicom', imported: 2, failed: 1 })
    expect(records.filter((r) => r.msg === 'job failed').map((r) => r.error)).toEqual([
      expect.stringMatching(/<path [0-9a-f]{8}>/),
      expect.stringMatching(/<path [0-9a-f]{8}>/),
    ])
    const hits = scan(logsDir, markers)
    expect(describeHits(hits)).toEqual([])
  })

  it('cxr-lens diagnostics --out FILE.zip: a ZIP that unzip and Python read, with every part, and no marker', async () => {
    const zipFile = join(dir.path, 'diag.zip')
    const made = await cli(['diagnostics', '--out', zipFile, '--json', '--data-dir', dataDir])
    expect(made.code, made.stderr).toBe(0)
    const expected = ['README.txt', 'versions.json', 'providers.json', 'database.json', 'configuration.json', 'logs/cxr-lens.log']
    expect(JSON.parse(made.stdout)).toMatchObject({ file: zipFile, entries: expected })
    const listed = execFileSync('unzip', ['-l', zipFile], { encoding: 'utf8' })
    for (const name of expected) expect(listed).toContain(name)
    expect(execFileSync('unzip', ['-tq', zipFile], { encoding: 'utf8' })).toMatch(/No errors detected/)
    const py = execFileSync('python3', ['-m', 'zipfile', '-l', zipFile], { encoding: 'utf8' })
    expect(
      py
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s{2,}/)[0]),
    ).toEqual(expected)

    const out = join(dir.path, 'diag-unpacked')
    execFileSync('python3', ['-m', 'zipfile', '-e', zipFile, out])
    const database = JSON.parse(readFileSync(join(out, 'database.json'), 'utf8'))
    expect(database).toMatchObject({ exists: true, quickCheck: ['ok'], rows: { cases: 2, patients: 2 }, error: null })
    const versions = JSON.parse(readFileSync(join(out, 'versions.json'), 'utf8'))
    expect(versions).toMatchObject({ app: expect.any(String), runtime: { node: process.versions.node } })
    const providers = JSON.parse(readFileSync(join(out, 'providers.json'), 'utf8'))
    // every provider tried, in order, with the reason each failed (CUDA and WebGPU are absent here)
    expect(providers.attempts).toContainEqual(
      expect.objectContaining({ proc: 'cli', chosen: 'cpu', attempts: expect.arrayContaining([{ provider: 'cpu', ok: true }]) }),
    )
    expect(providers.order).toEqual(expect.arrayContaining(['cpu']))
    const configuration = JSON.parse(readFileSync(join(out, 'configuration.json'), 'utf8'))
    expect(configuration).toMatchObject({
      dataDir,
      logFile: join(logsDir, 'cxr-lens.log'),
      pseudonymKey: { exists: true, fromPolicy: false },
    })
    expect(readFileSync(join(out, 'logs', 'cxr-lens.log'), 'utf8')).toContain('"msg":"cli command started"')
    expect(describeHits(scan(out, markers))).toEqual([])
    // and no key material: the installation's pseudonym key is not in it
    const key = readFileSync(join(dataDir, 'pseudonym.key'), 'utf8').trim()
    expect(findMarkers('bundle', readFileSync(zipFile), [{ where: 'pseudonym.key', value: key }])).toEqual([])
    expect([...filesUnder(out)].some((f) => readFileSync(f, 'utf8').includes(key))).toBe(false)
  })

  it('"Export diagnostics" (diagnostics:export) writes the bundle into the data folder\'s diagnostics/', async () => {
    const answer = (await dispatch('diagnostics:export', {})) as { ok: true; data: DiagnosticsResult }
    expect(answer.ok).toBe(true)
    expect(answer.data.path.startsWith(join(dataDir, 'diagnostics', 'cxr-lens-diagnostics-'))).toBe(true)
    expect(answer.data.entries).toContain('logs/cxr-lens.log')
    const listed = execFileSync('python3', ['-m', 'zipfile', '-l', answer.data.path], { encoding: 'utf8' })
    expect(listed).toContain('configuration.json')
    expect(findMarkers(answer.data.path, readFileSync(answer.data.path), markers)).toEqual([]) // deflated bytes: checked unpacked below too
    const out = join(dir.path, 'diag-app')
    execFileSync('python3', ['-m', 'zipfile', '-e', answer.data.path, out])
    expect(JSON.parse(readFileSync(join(out, 'configuration.json'), 'utf8'))).toMatchObject({ policy: { file: null, enforced: [] } })
    expect(describeHits(scan(out, markers))).toEqual([])
    // repeated exports keep only the newest five bundles
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 5))
      expect(await dispatch('diagnostics:export', {})).toMatchObject({ ok: true })
    }
    expect(readdirSync(join(dataDir, 'diagnostics'))).toHaveLength(5)
  })
})
