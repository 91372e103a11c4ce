import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadModelPackage } from '../../src/main/model/modelPackage'
import { ModelRegistry } from '../../src/main/registry/modelRegistry'
import { CaseStore } from '../../src/main/store/caseStore'
import { openDatabase } from '../../src/main/store/database'
import { ModelVersionTakenError } from '../../src/main/store/modelRepository'
import { registerChild } from '../../src/main/training/registerChild'
import { tempDir } from './helpers'

/**
 * Two `cxr-lens train` processes on one data folder that started in the same second drew the same
 * version name, and each saw it free in the store because neither had registered yet. The second to
 * publish found the folder already there, registered the first one's file under its own result, and
 * reported success: its model was lost (reference-model search run V, 2026-12-02). Two stores over one
 * models folder stand for the two processes here.
 */
const FIXTURE = resolve(__dirname, '../fixtures/engine/tiny-resnet')
const dir = tempDir()
const stores = [new CaseStore(openDatabase(':memory:')), new CaseStore(openDatabase(':memory:'))]
afterAll(() => {
  for (const s of stores) s.close()
  dir.cleanup()
})

const parent = loadModelPackage(FIXTURE)
const headOf = (shift: number) => {
  const layer = parent.head[0]
  return { weight: Float32Array.from(layer.weight, (w) => w + shift), bias: Float32Array.from(layer.bias) }
}
const extra = { thresholds: {}, metrics: {}, training: { cases: 0 } }

describe('a version name two processes drew', () => {
  const models = join(dir.path, 'models')
  const [first, second] = stores.map((s) => new ModelRegistry(s, models, join(dir.path, 'none')))

  it('the registry refuses the second file and keeps the first', () => {
    const a = registerChild(first, parent.modelPath, parent.manifest, '1.0.0+ft.1', { head: headOf(0.01) }, extra)
    // The second process's store has not seen the first's row: only the folder tells.
    expect(stores[1].models.get('tiny-resnet', '1.0.0+ft.1')).toBeUndefined()
    expect(() => registerChild(second, parent.modelPath, parent.manifest, '1.0.0+ft.1', { head: headOf(0.02) }, extra)).toThrow(
      ModelVersionTakenError,
    )
    expect(loadModelPackage(join(models, 'tiny-resnet@1.0.0+ft.1')).manifest.sha256).toBe(a.sha256)
    // The refusing store now knows the folder for what it holds.
    expect(stores[1].models.get('tiny-resnet', '1.0.0+ft.1')?.sha256).toBe(a.sha256)
  })

  it('a fine-tune asks for a new name and both files are kept', () => {
    const asked: string[][] = []
    const versionOf = (_sha: string, taken: readonly string[]) => {
      asked.push([...taken])
      return taken.includes('1.0.0+ft.2') ? '1.0.0+ft.2.2' : '1.0.0+ft.2'
    }
    const a = registerChild(first, parent.modelPath, parent.manifest, '1.0.0+ft.2', { head: headOf(0.03) }, extra)
    const b = registerChild(second, parent.modelPath, parent.manifest, versionOf, { head: headOf(0.04) }, extra)
    expect(asked).toEqual([[], ['1.0.0+ft.2']])
    expect(b.version).toBe('1.0.0+ft.2.2')
    expect(b.sha256).not.toBe(a.sha256)
    expect(loadModelPackage(b.dir).manifest.sha256).toBe(b.sha256)
    expect(loadModelPackage(join(models, 'tiny-resnet@1.0.0+ft.2')).manifest.sha256).toBe(a.sha256)
    expect(second.get('tiny-resnet', '1.0.0+ft.2.2').pkg.manifest.sha256).toBe(b.sha256)
  })

  it('the same file under the same name is registered again as a no-op (a resumed run)', () => {
    const a = registerChild(first, parent.modelPath, parent.manifest, '1.0.0+ft.3', { head: headOf(0.05) }, extra)
    const again = registerChild(second, parent.modelPath, parent.manifest, '1.0.0+ft.3', { head: headOf(0.05) }, extra)
    expect(again).toEqual(a)
  })

  it('leaves no staging copies behind', () => {
    expect(existsSync(models)).toBe(true)
    expect(readdirSync(models).filter((n) => n.endsWith('.partial'))).toEqual([])
  })
})
