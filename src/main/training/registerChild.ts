import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256Of } from '../model/hashing'
import type { LastBlock } from '../model/lastBlock'
import type { ModelManifest } from '../model/manifest'
import { OOD_FILE, serializeOodStats, type OodStats } from '../model/oodStats'
import type { ModelRegistry } from '../registry/modelRegistry'
import { ModelVersionTakenError } from '../store/modelRepository'
import { patchInitializers, readOnnxGraph } from '../model/onnxProto'
import type { LinearHead } from './trainables'

export interface ChildWeights {
  head: LinearHead
  /** the trained last block, [out × in] weight, when it was trained */
  block?: { def: LastBlock; weight: Float32Array; bias: Float32Array }
}

/**
 * Writes the trained weights into a copy of the parent's ONNX file (same initializers, same shapes,
 * so every other byte is the parent's) and installs it, with its manifest, as a new model version.
 */
export function registerChild(
  registry: ModelRegistry,
  parentPath: string,
  parent: ModelManifest,
  /**
   * the version, or how to name it once the file's SHA-256 is known (fineTune: another run may have
   * taken the name meanwhile); `taken` lists the names this call found held by another file
   */
  versionOf: string | ((sha256: string, taken: readonly string[]) => string),
  weights: ChildWeights,
  extra: { thresholds: Record<string, number>; metrics: Record<string, unknown>; training: Record<string, unknown>; ood?: OodStats },
) {
  const bytes = readFileSync(parentPath)
  const graph = readOnnxGraph(bytes)
  const layer = parent.head.layers[0]
  const { head, block } = weights
  const C = head.bias.length
  const K = head.weight.length / C
  const weight = layer.weightLayout === 'out_in' ? head.weight : Float32Array.from({ length: C * K }, (_, i) => head.weight[(i % C) * K + Math.floor(i / C)])
  const replacements: Record<string, Float32Array> = { [layer.weight]: weight, ...(layer.bias ? { [layer.bias]: head.bias } : {}) }
  // A 1×1 convolution's weight [out, in, 1, 1] is the [out × in] matrix as trained.
  if (block) Object.assign(replacements, { [block.def.weight]: block.weight }, block.def.bias ? { [block.def.bias]: block.bias } : {})
  const patched = patchInitializers(bytes, graph, replacements)
  const what = block ? 'final layer and last block' : 'final layer'
  // The parent's statistics describe the parent: the child gets its own file or none.
  const oodBytes = extra.ood ? serializeOodStats(extra.ood) : null
  const { ood: _parentOod, ...inherited } = parent
  const sha256 = sha256Of(patched)
  const manifestOf = (version: string): ModelManifest => ({
    ...inherited, version, sha256, thresholds: extra.thresholds,
    ...(oodBytes ? { ood: { file: OOD_FILE, sha256: sha256Of(oodBytes) } } : {}),
    ...(block ? { lastBlock: { input: block.def.input, weight: block.def.weight, ...(block.def.bias ? { bias: block.def.bias } : {}), activation: block.def.activation } } : {}),
    provenance: { ...parent.provenance, parent: { id: parent.id, version: parent.version, sha256: parent.sha256 }, createdBy: `cxr-lens train (${what})`, training: extra.training },
    modelCard: { ...parent.modelCard, metrics: extra.metrics, outOfDistribution: extra.ood ? { method: extra.ood.method, threshold: extra.ood.method === 'mahalanobis' ? extra.ood.mahalanobis.threshold : extra.ood.energy.threshold, fitted: extra.ood.provenance } : 'no out-of-distribution check', trainingData: `${parent.modelCard.trainingData}; ${what} fine-tuned on ${String(extra.training.cases)} labelled cases of this workstation` },
  })
  // Another process can take the name between versionOf's look at the store and the publishing rename
  // (two runs started in the same second): the registry refuses the second, which then asks for a new name.
  const taken: string[] = []
  for (;;) {
    const version = typeof versionOf === 'string' ? versionOf : versionOf(sha256, taken)
    try {
      return installChild(registry, patched, oodBytes, manifestOf(version))
    } catch (error) {
      if (!(error instanceof ModelVersionTakenError) || typeof versionOf === 'string' || taken.includes(version) || taken.length >= MAX_RENAMES) throw error
      taken.push(version)
    }
  }
}

/** How many times a child is renamed because other processes took its name; once is the usual case. */
const MAX_RENAMES = 8

function installChild(registry: ModelRegistry, patched: Uint8Array, oodBytes: Uint8Array | null, manifest: ModelManifest) {
  const dir = mkdtempSync(join(tmpdir(), 'cxr-finetune-'))
  try {
    writeFileSync(join(dir, 'model.onnx'), patched)
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2))
    if (oodBytes) writeFileSync(join(dir, OOD_FILE), oodBytes)
    const entry = registry.import(dir)
    return { id: manifest.id, version: manifest.version, sha256: manifest.sha256, dir: entry.pkg.dir }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
