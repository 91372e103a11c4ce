import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { inferInBatches, packBatch, type InferredBatch } from '../../src/main/model/batchedInference'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import { loadModelPackage } from '../../src/main/model/modelPackage'
import { preprocessImage } from '../../src/main/model/preprocess'
import { HAS_NIH, NIH_256 } from './helpers'

const pkg = loadModelPackage(resolve(__dirname, '../fixtures/engine/tiny-resnet'))
// One thread: the comparison below is bit for bit, and one thread's sums have one order whatever the machine.
const engine = new InferenceEngine({ threads: 1 })
afterAll(() => engine.close())

describe.runIf(HAS_NIH)('the one batched-inference helper', () => {
  const names = readdirSync(NIH_256).sort().slice(0, 7)
  const items = names.map((name) => ({ name, path: join(NIH_256, name) }))
  const inputOf = (item: { name: string; path: string }) => ({ image: item.path, name: item.name })

  it('gives each item exactly what one engine call on the packed batch gives, in batches of the size asked', async () => {
    const seen: Array<InferredBatch<(typeof items)[number]>> = []
    const progress: Array<[number, number]> = []
    await inferInBatches(engine, pkg, items, inputOf, (batch) => void seen.push(batch), {
      batchSize: 3,
      onProgress: (d, t) => progress.push([d, t]),
    })
    expect(seen.map((b) => b.items.map((i) => i.name))).toEqual([names.slice(0, 3), names.slice(3, 6), names.slice(6)])
    expect(seen.map((b) => b.start)).toEqual([0, 3, 6])
    expect(progress).toEqual([
      [3, 7],
      [6, 7],
      [7, 7],
    ])

    const tensors = await Promise.all(items.slice(3, 6).map((i) => preprocessImage(i.path, pkg.manifest, i.name)))
    const direct = await engine.run(pkg, packBatch(tensors), 3)
    const second = seen[1]
    expect(second.tensors).toEqual(tensors)
    expect(second.result.logits).toEqual(direct.logits)
    expect(second.result.features).toEqual(direct.features)
    const [K, h, w] = pkg.manifest.outputs.features.shape
    const map = second.featureMap(2)
    expect(map).toMatchObject({ channels: K, height: h, width: w })
    expect(map.data).toEqual(direct.features.subarray(2 * K * h * w, 3 * K * h * w))
  })

  it("stops before the next batch on cancel, with the caller's error, after the batches already handled", async () => {
    const controller = new AbortController()
    const handled: number[] = []
    const run = inferInBatches(
      engine,
      pkg,
      items,
      inputOf,
      (batch) => {
        handled.push(batch.items.length)
        controller.abort()
      },
      { batchSize: 2, signal: controller.signal, cancelled: (done) => new Error(`stopped after ${done}`) },
    )
    await expect(run).rejects.toThrow('stopped after 2')
    expect(handled).toEqual([2])
  })

  it('names the image that cannot be prepared', async () => {
    const bad = [...items.slice(0, 1), { name: 'nothing.png', path: join(NIH_256, 'nothing.png') }]
    await expect(inferInBatches(engine, pkg, bad, inputOf, () => {})).rejects.toThrow(/nothing\.png: cannot be prepared for the model/)
  })

  it('does nothing for no items', async () => {
    let calls = 0
    await inferInBatches(engine, pkg, [], inputOf, () => void calls++)
    expect(calls).toBe(0)
  })
})
