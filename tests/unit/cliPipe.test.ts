import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { databasePath } from '../../src/main/config/dataDir'
import { CaseStore } from '../../src/main/store/caseStore'
import { tempDir } from './helpers'
import { spawnCli } from './processes'

const dir = tempDir('cxr-pipe-')
afterAll(dir.cleanup)
const CASES = 8000

/** A data folder with CASES cases (long names, two labels each), written straight through the store: no images needed. */
function bigFolder(): string {
  const dataDir = join(dir.path, 'data')
  const store = CaseStore.open(databasePath(dataDir))
  const now = new Date().toISOString()
  store.transaction(() => {
    for (let i = 0; i < CASES; i++) {
      const imageName = `${String(i).padStart(8, '0')}_${'x'.repeat(100)}.png`
      const id = store.cases.insert({
        imageName,
        patientId: null,
        path: join(dataDir, imageName),
        sha256: i.toString(16).padStart(64, '0'),
        format: 'png',
        width: 256,
        height: 256,
        bitDepth: 8,
        channels: 1,
        view: 'PA',
        age: 50,
        sex: 'F',
        followUp: null,
        originalWidth: null,
        originalHeight: null,
        pixelSpacingX: null,
        pixelSpacingY: null,
        importedAt: now,
      })
      store.annotations.addLabel(id, 'Cardiomegaly', 'dataset', 'test', now)
      store.annotations.addLabel(id, 'Effusion', 'dataset', 'test', now)
    }
  })
  store.close()
  return dataDir
}

describe('piped --json output', () => {
  it('arrives whole through a slow reader (more than 1 MB of cases --json)', async () => {
    const dataDir = bigFolder()
    const child = spawnCli(['cases', '--json', '--limit', String(CASES * 2), '--data-dir', dataDir])
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
    let stderr = ''
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    // The reader takes nothing until the CLI has written (or exited), then reads in small sips: a
    // CLI that exits without waiting for the pipe to drain loses whatever is still queued.
    const stdout = child.stdout!
    stdout.pause()
    await Promise.race([exited, new Promise((r) => setTimeout(r, 4000))])
    const chunks: Buffer[] = []
    for await (const chunk of stdout) {
      chunks.push(chunk as Buffer)
      await new Promise((r) => setTimeout(r, 2))
    }
    const code = await exited
    const text = Buffer.concat(chunks).toString('utf8')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(text.length).toBeGreaterThan(1024 * 1024)
    const parsed = JSON.parse(text) as { total: number; cases: Array<{ image: string; findings: string[]; boxes: number }> }
    expect(parsed.total).toBe(CASES)
    expect(parsed.cases).toHaveLength(CASES)
    expect(new Set(parsed.cases.map((c) => c.image)).size).toBe(CASES)
    expect(parsed.cases.every((c) => c.findings.length === 2 && c.boxes === 0)).toBe(true)
    console.log(`cases --json through a slow reader: ${text.length} bytes, ${parsed.cases.length} cases parsed`)
  }, 120_000)
})
