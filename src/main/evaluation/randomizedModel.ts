import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sha256Of } from '../model/hashing'
import type { ModelManifest } from '../model/manifest'
import { loadModelPackage, ModelPackageError, type ModelPackage } from '../model/modelPackage'
import { patchInitializers, readOnnxGraph } from '../model/onnxProto'
import { seededRandom } from '../../shared/random'

/**
 * What is re-initialized, cascading from the top as in Adebayo et al. (2018): the head alone, then the
 * head and the 1×1 block that makes the feature map.
 */
export type RandomizedLayers = 'head' | 'head+last-block'
export const RANDOMIZED_LAYERS: readonly RandomizedLayers[] = ['head', 'head+last-block']

/** Seeded N(0, σ²) values with σ the standard deviation of the values they replace, so logits keep their scale. */
function gaussianLike(original: Float32Array, random: () => number): Float32Array {
  const mean = original.reduce((s, v) => s + v, 0) / original.length
  const sd = Math.sqrt(original.reduce((s, v) => s + (v - mean) ** 2, 0) / original.length)
  const out = new Float32Array(original.length)
  for (let i = 0; i < out.length; i += 2) {
    // Box–Muller: two independent normals from two uniforms (1 − u keeps log away from 0).
    const r = Math.sqrt(-2 * Math.log(1 - random())) * sd
    const theta = 2 * Math.PI * random()
    out[i] = r * Math.cos(theta)
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(theta)
  }
  return out
}

/**
 * A copy of a model package with the chosen layers' weights and biases replaced by seeded random
 * values (written into the same initializers, so the graph and every other weight are the original's),
 * saved in `dir` and loaded like any package (hash, tensors and head verified). Test and audit use
 * only: the copy's version says it is randomized and it is never registered.
 */
export function randomizedPackage(pkg: ModelPackage, layers: RandomizedLayers, seed: number, dir: string): ModelPackage {
  const bytes = readFileSync(pkg.modelPath)
  if (sha256Of(bytes) !== pkg.manifest.sha256) throw new ModelPackageError(pkg.dir, 'model.onnx changed since it was verified')
  const graph = readOnnxGraph(bytes)
  const random = seededRandom(seed)
  const names = pkg.manifest.head.layers.flatMap((layer) => [layer.weight, ...(layer.bias ? [layer.bias] : [])])
  if (layers === 'head+last-block') {
    if (!pkg.lastBlock) throw new ModelPackageError(pkg.dir, `no last block to randomize (${pkg.lastBlockMissing ?? 'none found'})`)
    names.push(pkg.lastBlock.weight, ...(pkg.lastBlock.bias ? [pkg.lastBlock.bias] : []))
  }
  const replacements: Record<string, Float32Array> = {}
  for (const name of names) {
    const tensor = graph.initializers.get(name)
    if (!tensor) throw new ModelPackageError(pkg.dir, `initializer "${name}" is not in the graph`)
    replacements[name] = gaussianLike(tensor.data, random)
  }
  const patched = patchInitializers(bytes, graph, replacements)
  const manifest: ModelManifest = {
    ...pkg.manifest,
    version: `${pkg.manifest.version}+random-${layers}-seed${seed}`.slice(0, 64),
    sha256: sha256Of(patched),
    provenance: { ...pkg.manifest.provenance, randomized: { layers, seed, parent: pkg.manifest.sha256 } },
    modelCard: { ...pkg.manifest.modelCard, intendedUse: 'model-parameter randomization sanity check only; random weights' },
  }
  writeFileSync(join(dir, 'model.onnx'), patched)
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2))
  return loadModelPackage(dir)
}
