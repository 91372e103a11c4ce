import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { sha256Of } from './hashing'
import { findLastBlock, NoLastBlockError, type LastBlock } from './lastBlock'
import { manifestSchema, type ModelManifest } from './manifest'
import { readOnnxGraph, type OnnxGraphInfo } from './onnxProto'
import { loadOodStats, type OodStats } from './oodStats'

/** One dense layer of a model's head, as [out][in] row-major weights. */
export interface DenseLayer {
  inputs: number
  outputs: number
  weight: Float32Array
  bias: Float32Array
  activation: 'none' | 'relu'
}

export interface ModelPackage {
  dir: string
  modelPath: string
  manifest: ModelManifest
  head: DenseLayer[]
  /** the 1×1 convolution block that makes the feature map, or why there is none (fine-tuning) */
  lastBlock: LastBlock | null
  lastBlockMissing?: string
  /** the out-of-distribution statistics (ood.json), or null and why: the model then runs without the check */
  ood: OodStats | null
  oodMissing?: string
}

export class ModelPackageError extends Error {
  constructor(dir: string, problem: string) {
    super(`Model package ${dir}: ${problem}`)
    this.name = 'ModelPackageError'
  }
}

function readManifest(dir: string): ModelManifest {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))
  } catch (error) {
    throw new ModelPackageError(dir, `manifest.json cannot be read (${(error as Error).message})`)
  }
  const parsed = manifestSchema.safeParse(raw)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
    throw new ModelPackageError(dir, `manifest.json is invalid: ${issues}`)
  }
  return parsed.data
}

function checkTensors(dir: string, manifest: ModelManifest, graph: OnnxGraphInfo): void {
  const input = graph.inputs.find((i) => i.name === manifest.input.name)
  if (!input)
    throw new ModelPackageError(
      dir,
      `input "${manifest.input.name}" is not in the graph (it has ${graph.inputs.map((i) => i.name).join(', ')})`,
    )
  const channels = manifest.input.channels === 'gray' ? 1 : 3
  const expected =
    manifest.input.layout === 'NCHW'
      ? [channels, manifest.input.height, manifest.input.width]
      : [manifest.input.height, manifest.input.width, channels]
  const declared = input.shape.slice(1)
  if (declared.some((d, i) => typeof d === 'number' && d !== expected[i])) {
    throw new ModelPackageError(
      dir,
      `input "${input.name}" has shape [${input.shape.join(', ')}] but the manifest says [N, ${expected.join(', ')}]`,
    )
  }
  for (const [role, name] of [
    ['logits', manifest.outputs.logits.name],
    ['features', manifest.outputs.features.name],
  ] as const) {
    if (!graph.outputs.some((o) => o.name === name)) {
      throw new ModelPackageError(
        dir,
        `${role} output "${name}" is not in the graph (outputs: ${graph.outputs.map((o) => o.name).join(', ')})`,
      )
    }
  }
  const logits = graph.outputs.find((o) => o.name === manifest.outputs.logits.name)!
  const classes = logits.shape.at(-1)
  if (typeof classes === 'number' && classes !== manifest.findings.length) {
    throw new ModelPackageError(dir, `logits have ${classes} classes but the manifest lists ${manifest.findings.length} findings`)
  }
}

function readHead(dir: string, manifest: ModelManifest, graph: OnnxGraphInfo): DenseLayer[] {
  let inputs = manifest.outputs.features.shape[0]
  const layers = manifest.head.layers.map((layer, index) => {
    const weight = graph.initializers.get(layer.weight)
    if (!weight || weight.dims.length !== 2 || weight.data.length === 0) {
      throw new ModelPackageError(dir, `head layer ${index}: weight initializer "${layer.weight}" is missing or not a float matrix`)
    }
    const [rows, cols] = weight.dims
    const [outputs, ins] = layer.weightLayout === 'out_in' ? [rows, cols] : [cols, rows]
    if (ins !== inputs) throw new ModelPackageError(dir, `head layer ${index} expects ${ins} inputs but receives ${inputs}`)
    // Stored as [out][in] whatever the file's layout, so the math below has one form.
    const w = new Float32Array(outputs * ins)
    for (let o = 0; o < outputs; o++) {
      for (let i = 0; i < ins; i++)
        w[o * ins + i] = layer.weightLayout === 'out_in' ? weight.data[o * ins + i] : weight.data[i * outputs + o]
    }
    let bias: Float32Array = new Float32Array(outputs)
    if (layer.bias) {
      const b = graph.initializers.get(layer.bias)
      if (!b || b.data.length !== outputs)
        throw new ModelPackageError(dir, `head layer ${index}: bias "${layer.bias}" is missing or has the wrong size`)
      bias = b.data
    }
    inputs = outputs
    return { inputs: ins, outputs, weight: w, bias, activation: layer.activation }
  })
  if (inputs !== manifest.findings.length) {
    throw new ModelPackageError(dir, `the head produces ${inputs} outputs but the manifest lists ${manifest.findings.length} findings`)
  }
  return layers
}

/**
 * Loads and verifies a model package: manifest schema, the file's SHA-256, and the declared tensors
 * against the graph. A mismatching or corrupt model is refused with a message naming the problem.
 */
export function loadModelPackage(dirPath: string): ModelPackage {
  const dir = resolve(dirPath)
  const manifest = readManifest(dir)
  const modelPath = join(dir, 'model.onnx')
  let bytes: Uint8Array
  try {
    bytes = readFileSync(modelPath)
  } catch (error) {
    throw new ModelPackageError(dir, `model.onnx cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  const sha = sha256Of(bytes)
  if (sha !== manifest.sha256) {
    throw new ModelPackageError(
      dir,
      `model.onnx has SHA-256 ${sha}, but the manifest says ${manifest.sha256}: the file is corrupt or not the one the manifest describes`,
    )
  }
  let graph: OnnxGraphInfo
  try {
    graph = readOnnxGraph(bytes)
  } catch (error) {
    throw new ModelPackageError(dir, `model.onnx is not a readable ONNX model (${(error as Error).message})`)
  }
  checkTensors(dir, manifest, graph)
  const head = readHead(dir, manifest, graph)
  // A missing, tampered or corrupt ood.json never refuses the model: it runs without the check, saying why.
  const loaded = loadOodStats(dir, manifest)
  const ood = loaded.stats ? { ood: loaded.stats } : { ood: null, oodMissing: (loaded as { reason: string }).reason }
  try {
    return { dir, modelPath, manifest, head, lastBlock: findLastBlock(manifest, graph), ...ood }
  } catch (error) {
    // A block the manifest declares must be there; an undeclared one is optional.
    if (!(error instanceof NoLastBlockError) || manifest.lastBlock) throw new ModelPackageError(dir, (error as Error).message)
    return { dir, modelPath, manifest, head, lastBlock: null, lastBlockMissing: error.message, ...ood }
  }
}
