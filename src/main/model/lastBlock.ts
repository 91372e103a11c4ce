import type { ModelManifest } from './manifest'
import type { OnnxGraphInfo, OnnxNode } from './onnxProto'

/**
 * The block that produces a model's feature map, when it is a pointwise (1×1, stride 1, ungrouped)
 * convolution with ReLU/ReLU6 or no activation: MobileNet v1's conv_pw_13, for instance. Exporters
 * fold its batch norm into the convolution's weight and bias, so per feature-map cell it is exactly
 * a matrix product, a bias and a clamp, which fine-tuning can train on cached block inputs and write
 * back into the same two initializers.
 */
export interface LastBlock {
  /** the tensor entering the block (what is cached) */
  input: string
  weight: string
  bias?: string
  activation: 'none' | 'relu' | 'relu6'
  inChannels: number
  outChannels: number
  /** [out × in] */
  weightData: Float32Array
  biasData: Float32Array
}

export class NoLastBlockError extends Error {
  constructor(manifest: ModelManifest, reason: string) {
    super(`${manifest.id} ${manifest.version} has no trainable last block (${reason}); train its final layer alone with --layers head`)
    this.name = 'NoLastBlockError'
  }
}

/** A scalar fed to a node: an initializer or a Constant node's value. */
function scalar(graph: OnnxGraphInfo, name: string | undefined): number | undefined {
  if (!name) return undefined
  const init = graph.initializers.get(name)
  if (init) return init.data.length === 1 ? init.data[0] : undefined
  const value = graph.nodes.find((n) => n.opType === 'Constant' && n.outputs[0] === name)?.attributes.value
  return typeof value === 'number' ? value : undefined
}

function activationOf(graph: OnnxGraphInfo, node: OnnxNode): LastBlock['activation'] | null {
  if (node.opType === 'Relu') return 'relu'
  if (node.opType !== 'Clip') return null
  // Clip's bounds are inputs since opset 11, attributes before.
  const lo = scalar(graph, node.inputs[1]) ?? (node.attributes.min as number | undefined)
  const hi = scalar(graph, node.inputs[2]) ?? (node.attributes.max as number | undefined)
  if (lo === 0 && hi === 6) return 'relu6'
  if (lo === 0 && hi === undefined) return 'relu'
  return null
}

const all = (v: number | number[] | undefined, expected: number) =>
  v === undefined || (Array.isArray(v) ? v.every((x) => x === expected) : v === expected)

export function findLastBlock(manifest: ModelManifest, graph: OnnxGraphInfo): LastBlock {
  const features = manifest.outputs.features.name
  const producer = (tensor: string) => graph.nodes.find((n) => n.outputs.includes(tensor))
  const consumers = (tensor: string) => graph.nodes.filter((n) => n.inputs.includes(tensor))
  const last = producer(features)
  if (!last) throw new NoLastBlockError(manifest, `no node produces the feature output "${features}"`)
  let conv = last
  let activation: LastBlock['activation'] = 'none'
  if (last.opType !== 'Conv') {
    const act = activationOf(graph, last)
    const before = producer(last.inputs[0])
    if (!act || !before || before.opType !== 'Conv') {
      throw new NoLastBlockError(
        manifest,
        `the feature output is made by ${last.opType}${before ? ` of ${before.opType}` : ''}, not by a 1×1 convolution with ReLU, ReLU6 or no activation`,
      )
    }
    if (consumers(before.outputs[0]).length !== 1 || graph.outputs.some((o) => o.name === before.outputs[0])) {
      throw new NoLastBlockError(manifest, "the last convolution's output is used elsewhere too")
    }
    conv = before
    activation = act
  }
  const a = conv.attributes
  const kernel = a.kernel_shape as number[] | undefined
  const weight = graph.initializers.get(conv.inputs[1])
  const pointwise =
    all(a.group, 1) && all(a.strides, 1) && all(a.dilations, 1) && all(a.pads, 0) && (!kernel || kernel.every((k) => k === 1))
  if (!pointwise || !weight || weight.dims.length !== 4 || weight.dims[2] !== 1 || weight.dims[3] !== 1) {
    throw new NoLastBlockError(
      manifest,
      `the last convolution (${conv.name || conv.outputs[0]}) is not a 1×1, stride 1, ungrouped convolution with a weight initializer`,
    )
  }
  const [outChannels, inChannels] = weight.dims
  if (outChannels !== manifest.outputs.features.shape[0])
    throw new NoLastBlockError(
      manifest,
      `the last convolution has ${outChannels} outputs, the feature map ${manifest.outputs.features.shape[0]} channels`,
    )
  const biasName = conv.inputs[2] || undefined
  const bias = biasName ? graph.initializers.get(biasName) : undefined
  if (biasName && (!bias || bias.data.length !== outChannels))
    throw new NoLastBlockError(manifest, `the bias "${biasName}" is not an initializer of ${outChannels} values`)
  // Writing new weights must change this block only.
  for (const name of [weight.name, biasName].filter((n): n is string => !!n)) {
    if (consumers(name).length !== 1) throw new NoLastBlockError(manifest, `initializer "${name}" is shared with other nodes`)
    if (graph.initializers.get(name)?.rawOffset === undefined)
      throw new NoLastBlockError(manifest, `initializer "${name}" is not stored as raw float32`)
  }
  const found: LastBlock = {
    input: conv.inputs[0],
    weight: weight.name,
    bias: biasName,
    activation,
    inChannels,
    outChannels,
    weightData: weight.data,
    biasData: bias?.data ?? new Float32Array(outChannels),
  }
  const declared = manifest.lastBlock
  if (declared) {
    const differs = (['input', 'weight', 'bias', 'activation'] as const).filter((k) => declared[k] !== found[k])
    if (differs.length)
      throw new NoLastBlockError(
        manifest,
        `manifest.json lastBlock does not match the graph in ${differs.map((k) => `${k} (declared ${declared[k]}, graph ${found[k]})`).join(', ')}`,
      )
  }
  return found
}
