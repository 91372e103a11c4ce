import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import { loadModelPackage } from '../../src/main/model/modelPackage'
import { ModelRegistry } from '../../src/main/registry/modelRegistry'
import { readOnnxGraph } from '../../src/main/model/onnxProto'
import { addGraphOutputs } from '../../src/main/model/onnxWrite'
import { CaseStore } from '../../src/main/store/caseStore'
import { openDatabase } from '../../src/main/store/database'
import { REFERENCE_MODEL_DIR as REFERENCE, tempDir } from './helpers'

const TINY = resolve(__dirname, '../fixtures/engine/tiny-resnet')
const dir = tempDir()
const engine = new InferenceEngine({ providers: ['cpu'], threads: 1 })
afterAll(async () => {
  await engine.close()
  dir.cleanup()
})

/** A copy of a package with its manifest edited (model.onnx untouched, so its hash still holds). */
function variant(source: string, name: string, edit: (manifest: Record<string, unknown>) => void): string {
  const target = join(dir.path, name)
  cpSync(source, target, { recursive: true })
  const manifest = JSON.parse(readFileSync(join(target, 'manifest.json'), 'utf8')) as Record<string, unknown>
  edit(manifest)
  writeFileSync(join(target, 'manifest.json'), JSON.stringify(manifest))
  return target
}

describe('the last block of a model', () => {
  it('is found in the reference MobileNet v1: conv_pw_13, a 1×1 convolution 1024→1024 with its batch norm folded in, then ReLU6', () => {
    const pkg = loadModelPackage(REFERENCE)
    expect(pkg.lastBlock).toMatchObject({
      input: '/features/conv_dw_13/act/Clip_output_0',
      activation: 'relu6',
      inChannels: 1024,
      outChannels: 1024,
    })
    const graph = readOnnxGraph(readFileSync(pkg.modelPath))
    const conv = graph.nodes.find((n) => n.inputs[1] === pkg.lastBlock!.weight)!
    expect(conv.name).toBe('/features/conv_pw_13/conv/Conv')
    expect(graph.initializers.get(pkg.lastBlock!.weight)!.dims).toEqual([1024, 1024, 1, 1])
    expect(pkg.lastBlock!.bias && graph.initializers.get(pkg.lastBlock!.bias)!.dims).toEqual([1024])
  })

  it('is absent, with the reason, when the feature map comes from a residual sum', () => {
    const pkg = loadModelPackage(TINY)
    expect(pkg.lastBlock).toBeNull()
    expect(pkg.lastBlockMissing).toMatch(
      /tiny-resnet 0\.0\.1-test has no trainable last block \(the feature output is made by Relu of Add.*\); train its final layer alone with --layers head/,
    )
  })

  it('a manifest that declares a block the graph does not have is refused', () => {
    expect(() =>
      loadModelPackage(variant(TINY, 'tiny-declared', (m) => (m.lastBlock = { input: 'x', weight: 'onnx::Conv_78', activation: 'relu' }))),
    ).toThrow(/Model package .*tiny-declared: .*no trainable last block/)
    // The initializer names are whatever the exporter chose; take them from the recognised block.
    const found = loadModelPackage(REFERENCE).lastBlock!
    const declared = { input: found.input, weight: found.weight, bias: found.bias }
    const wrong = variant(REFERENCE, 'ref-declared', (m) => (m.lastBlock = { ...declared, activation: 'relu' }))
    expect(() => loadModelPackage(wrong)).toThrow(/lastBlock does not match the graph in activation \(declared relu, graph relu6\)/)
    const right = variant(REFERENCE, 'ref-declared-right', (m) => (m.lastBlock = { ...declared, activation: 'relu6' }))
    expect(loadModelPackage(right).lastBlock?.weight).toBe(found.weight)
  })
})

describe('tapping an intermediate tensor', () => {
  it('adds graph outputs without touching a weight byte, and the engine returns the tensor with the usual outputs', async () => {
    const pkg = loadModelPackage(TINY)
    const bytes = readFileSync(pkg.modelPath)
    const tapped = addGraphOutputs(bytes, ['/backbone/block1/Relu_1_output_0'])
    const before = readOnnxGraph(bytes)
    const after = readOnnxGraph(tapped)
    expect(after.outputs.map((o) => o.name)).toEqual([...before.outputs.map((o) => o.name), '/backbone/block1/Relu_1_output_0'])
    expect(after.nodes).toEqual(before.nodes)
    for (const [name, tensor] of before.initializers)
      expect(Array.from(after.initializers.get(name)!.data)).toEqual(Array.from(tensor.data))

    const input = Float32Array.from({ length: 2 * 64 * 64 }, (_, i) => Math.sin(i / 7))
    const plain = await engine.run(pkg, input, 2)
    const withTap = await engine.run(pkg, input, 2, ['/backbone/block1/Relu_1_output_0'])
    expect(Array.from(withTap.logits)).toEqual(Array.from(plain.logits))
    // block1 keeps 16 channels at 16×16 (the fixture's stem halves 64² twice).
    expect(withTap.taps['/backbone/block1/Relu_1_output_0']).toHaveLength(2 * 16 * 16 * 16)
    expect(withTap.taps['/backbone/block1/Relu_1_output_0'].some((v) => v > 0)).toBe(true)
  })
})

describe('model registry', () => {
  it('ignores a staging copy a crash left behind, and an import after it succeeds', () => {
    const store = new CaseStore(openDatabase(':memory:'))
    const imported = join(dir.path, 'imported')
    mkdirSync(imported, { recursive: true })
    cpSync(TINY, join(imported, 'tiny-resnet@0.0.1-test.partial'), { recursive: true })
    const registry = new ModelRegistry(store, imported, join(dir.path, 'no-bundled'))
    expect(registry.scan()).toEqual({ models: [], broken: [] })
    expect(store.models.list()).toEqual([])
    registry.import(TINY)
    expect(registry.list().map((m) => m.pkg.dir)).toEqual([join(imported, 'tiny-resnet@0.0.1-test')])
    expect(store.models.list().map((m) => m.version)).toEqual(['0.0.1-test'])
    store.close()
  })
})
