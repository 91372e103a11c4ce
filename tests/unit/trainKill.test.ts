import { execFile, spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { AnnotationService } from '../../src/main/annotations/annotationService'
import { importNih } from '../../src/main/cases/nihImporter'
import { databasePath } from '../../src/main/config/dataDir'
import { ModelRegistry } from '../../src/main/registry/modelRegistry'
import { CaseStore } from '../../src/main/store/caseStore'
import { BOXES_CSV, HAS_NIH, imageFolder, LABELS_CSV, NIH_256, REFERENCE_VERSION, tempDir } from './helpers'
import { CLI } from './builtCli'

/**
 * A real `cxr-lens train` child process is killed with SIGKILL after it has written at least one
 * checkpoint, while this process keeps saving boxes to the same database. Afterwards the database is
 * sound, no model version is half-registered, every saved box is there, and the same command resumes
 * and registers exactly the weights an uninterrupted run registers.
 */
const run = promisify(execFile)
const dir = tempDir()
afterAll(dir.cleanup)

const names = HAS_NIH ? readdirSync(NIH_256).sort().slice(700, 740) : []
const trainArgs = (dataDir: string) => [
  'train',
  '--data-dir',
  dataDir,
  '--model',
  'cxr-mobilenet-v1',
  '--layers',
  'head+last-block',
  '--epochs',
  '6',
  '--patience',
  '6',
  // what is under test is resuming to the same weights, registered whatever they score
  '--register-if-worse',
]

async function prepare(name: string): Promise<{ dataDir: string; store: CaseStore }> {
  const dataDir = join(dir.path, name)
  const store = CaseStore.open(databasePath(dataDir))
  await importNih(store, { imagesDir: imageFolder(dataDir, NIH_256, names), labelsCsv: LABELS_CSV, boxesCsv: BOXES_CSV })
  return { dataDir, store }
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { maxBuffer: 16 << 20 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe.runIf(HAS_NIH)('a cxr-lens train process killed mid-run', () => {
  it(
    'leaves a sound database with every box, no half-registered version, and resumes to the uninterrupted result',
    { timeout: 600_000 },
    async () => {
      const { dataDir, store } = await prepare('killed')
      const service = new AnnotationService(store)
      const reader = store.readers.create('Dr Kill', 'radiologist')
      const datasetBoxes = names.reduce((n, _, i) => n + store.annotations.boxes(i + 1).length, 0)
      expect(datasetBoxes).toBeGreaterThan(0)
      const saved = [service.createBox(1, reader.id, { finding: 'Effusion', x: 10, y: 20, w: 30, h: 40 }).id]

      // Node itself running the built CLI (not a launcher, whose child would outlive a SIGKILL to it).
      const child = spawn(process.execPath, [CLI, ...trainArgs(dataDir)], { stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
        child.on('exit', (code, signal) => done({ code, signal })),
      )
      await new Promise<void>((ready, fail) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString()
          // "epoch 1:" is printed after that epoch's checkpoint is on disk.
          if (/^epoch 1:/m.test(stdout)) ready()
        })
        void exited.then(() => fail(new Error(`train exited before its first epoch: ${stdout}`)))
      })
      // A box saved while training runs, from another connection, must survive the kill too.
      saved.push(service.createBox(2, reader.id, { finding: 'Mass', x: 5, y: 5, w: 20, h: 20 }).id)
      const checkpoints = readdirSync(join(dataDir, 'training')).filter((f) => f.endsWith('.ckpt'))
      expect(checkpoints).toHaveLength(1)
      expect(child.kill('SIGKILL')).toBe(true)
      expect(await exited).toEqual({ code: null, signal: 'SIGKILL' })
      expect(stdout).not.toMatch(/new version/)
      store.close()

      const check = await cli(['check', '--data-dir', dataDir])
      expect(check.code).toBe(0)
      expect(check.stdout).toMatch(/integrity_check: ok/)
      const after = CaseStore.open(databasePath(dataDir))
      try {
        for (const [i, id] of saved.entries()) expect(after.annotations.boxes(i + 1).map((b) => b.id)).toContain(id)
        expect(names.reduce((n, _, i) => n + after.annotations.boxes(i + 1).length, 0)).toBe(datasetBoxes + saved.length)
        // Every registered version has its verified package, and no fine-tuned version exists yet.
        const registry = new ModelRegistry(after, join(dataDir, 'models'))
        const scan = registry.scan()
        expect(scan.broken).toEqual([])
        const listed = new Set(scan.models.map((m) => `${m.pkg.manifest.id}@${m.pkg.manifest.version}`))
        for (const row of after.models.list()) expect(listed.has(`${row.id}@${row.version}`)).toBe(true)
        expect([...listed].filter((v) => v.includes('+ft.'))).toEqual([])
        expect(existsSync(join(dataDir, 'models')) ? readdirSync(join(dataDir, 'models')) : []).toEqual([])
      } finally {
        after.close()
      }

      const resumed = await cli(trainArgs(dataDir))
      expect(resumed.code, resumed.stderr).toBe(0)
      expect(resumed.stderr).toMatch(/resuming from the checkpoint after epoch [1-5]/)
      expect(resumed.stderr).not.toMatch(/features \d+\/40/) // the block inputs come from the cache
      expect(resumed.stdout).toMatch(
        new RegExp(
          `new version cxr-mobilenet-v1 ${REFERENCE_VERSION.replace(/\./g, '\\.')}\\+ft\\.\\d+ \\(head\\+last-block, resumed after epoch [1-5]\\)`,
        ),
      )
      expect(readdirSync(join(dataDir, 'training')).filter((f) => f.endsWith('.ckpt'))).toEqual([])

      const fresh = await prepare('uninterrupted')
      fresh.store.close()
      const whole = await cli(trainArgs(fresh.dataDir))
      expect(whole.code, whole.stderr).toBe(0)
      const model = (d: string) => {
        const [version] = readdirSync(join(d, 'models')).filter((n) => n.includes('+ft.'))
        return readFileSync(join(d, 'models', version, 'model.onnx'))
      }
      expect(model(dataDir).equals(model(fresh.dataDir))).toBe(true)
      const finalLine = (s: string) => s.split('\n').find((l) => l.startsWith('validation macro AUROC'))
      expect(finalLine(resumed.stdout)).toBe(finalLine(whole.stdout))
    },
  )
})
