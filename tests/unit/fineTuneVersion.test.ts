import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { importNih } from '../../src/main/cases/nihImporter'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import { ModelRegistry } from '../../src/main/registry/modelRegistry'
import { CaseStore } from '../../src/main/store/caseStore'
import { openDatabase } from '../../src/main/store/database'
import { fineTune, newVersionName } from '../../src/main/training/fineTune'
import { HAS_NIH, imageFolder, LABELS_CSV, NIH_256, tempDir } from './helpers'

/**
 * Two fine-tunes of one model started within the same second draw the same version name (it is drawn
 * at the start, so a resumed run registers the name it began with). The first to finish takes it; the
 * second, with another file, must get a fresh name rather than train to the end and be refused (this
 * happened to a reference-model search run).
 */
const dir = tempDir()
const store = new CaseStore(openDatabase(':memory:'))
const engine = new InferenceEngine({ providers: ['cpu'], threads: 1 })
afterAll(async () => {
  vi.useRealTimers()
  await engine.close()
  store.close()
  dir.cleanup()
})

describe.runIf(HAS_NIH)('version names of concurrent fine-tunes', () => {
  it('two runs that drew the same name both register, under two names', { timeout: 300_000 }, async () => {
    await importNih(store, { imagesDir: imageFolder(dir.path, NIH_256, readdirSync(NIH_256).sort().slice(0, 80)), labelsCsv: LABELS_CSV })
    const registry = new ModelRegistry(store, join(dir.path, 'models'), join(dir.path, 'none'))
    registry.import(resolve(__dirname, '../fixtures/engine/tiny-resnet'))
    const now = new Date('2026-12-01T17:55:02Z')
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(now)
    const drawn = newVersionName('0.0.1-test', [], now)
    const run = (seed: number) =>
      fineTune(
        { store, registry, engine },
        { model: 'tiny-resnet', layers: 'head', options: { maxEpochs: 1, seed }, registerIfWorse: true },
      )
    const [a, b] = await Promise.all([run(1), run(2)])
    vi.useRealTimers()
    expect(a.registered && b.registered).toBe(true)
    const versions = [a.child!.version, b.child!.version].sort()
    expect(versions).toEqual([drawn, `${drawn}.2`])
    // The result names the version it registered, and the registry holds two different files.
    expect(a.version).toBe(a.child!.version)
    expect(b.version).toBe(b.child!.version)
    expect(registry.get('tiny-resnet', versions[0]).pkg.manifest.sha256).not.toBe(
      registry.get('tiny-resnet', versions[1]).pkg.manifest.sha256,
    )
  })
})
