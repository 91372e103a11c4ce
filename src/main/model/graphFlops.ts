import * as ort from 'onnxruntime-node'
import { readOnnxGraph, type OnnxNode } from './onnxProto'
import { addGraphOutputs } from './onnxWrite'

/**
 * The arithmetic of a network, counted from its ONNX graph: 2 FLOPs per multiply-accumulate of every
 * Conv, Gemm and MatMul (element-wise ops, pooling and normalization are left out: they are memory
 * traffic, not arithmetic, and no peak figure describes them). Shapes come from running the graph
 * once with every tensor the count needs listed as an extra output, so no shape inference is
 * re-implemented here and a symbolic batch axis is whatever the given input dims say.
 */
export interface GraphFlops {
  /** total FLOPs of one run with the given input dims */
  flops: number
  /** FLOPs per operator type */
  byOp: Record<string, number>
  /** how many Conv/Gemm/MatMul nodes were counted */
  nodes: number
}

const COUNTED = new Set(['Conv', 'Gemm', 'MatMul'])

/** The tensors whose shapes a node's count needs: its output, and the operand that gives the inner size. */
function needed(node: OnnxNode): string[] {
  return node.opType === 'MatMul' ? [node.outputs[0], node.inputs[0]] : [node.outputs[0], node.inputs[1]]
}

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1)
}

/** MACs of one node from its output shape and its weight (Conv, Gemm) or left operand (MatMul) shape. */
function macs(node: OnnxNode, shape: (name: string) => readonly number[]): number {
  const out = product(shape(node.outputs[0]))
  if (node.opType === 'Conv') {
    // weight [Cout, Cin/group, k…]: every output value is Cin/group · Πk multiply-accumulates
    const [, ...perOutput] = shape(node.inputs[1])
    return out * product(perOutput)
  }
  if (node.opType === 'Gemm') {
    const b = shape(node.inputs[1])
    return out * (node.attributes.transB === 1 ? b[1] : b[0])
  }
  const a = shape(node.inputs[0])
  return out * a[a.length - 1]
}

/**
 * Counts the FLOPs of `model` for one run with the inputs shaped as `inputDims` (every graph input
 * named). Runs the graph once on zeros on the CPU, without graph optimizations (a fused node would
 * hide the tensors the count reads).
 */
export async function graphFlops(model: Uint8Array, inputDims: Record<string, readonly number[]>): Promise<GraphFlops> {
  const graph = readOnnxGraph(model)
  const counted = graph.nodes.filter((node) => COUNTED.has(node.opType))
  const known = new Map<string, readonly number[]>(Object.entries(inputDims))
  for (const [name, tensor] of graph.initializers) known.set(name, tensor.dims)
  for (const input of graph.inputs) if (!known.has(input.name)) throw new Error(`graphFlops: no dims given for input ${input.name}`)
  const outputs = new Set(graph.outputs.map((o) => o.name))
  const fetches = [...new Set(counted.flatMap(needed))].filter((name) => !known.has(name))
  const taps = fetches.filter((name) => !outputs.has(name))
  if (fetches.length) await fetchShapes(taps.length ? addGraphOutputs(model, taps) : model, graph.inputs, fetches, known)
  const shape = (name: string) => {
    const dims = known.get(name)
    if (!dims) throw new Error(`graphFlops: no shape for tensor ${name}`)
    return dims
  }
  const byOp: Record<string, number> = {}
  let flops = 0
  for (const node of counted) {
    const f = 2 * macs(node, shape)
    byOp[node.opType] = (byOp[node.opType] ?? 0) + f
    flops += f
  }
  return { flops, byOp, nodes: counted.length }
}

/** Runs the graph once on zeros and records the dims of `fetches` in `known`. */
async function fetchShapes(
  model: Uint8Array,
  inputs: ReadonlyArray<{ name: string }>,
  fetches: string[],
  known: Map<string, readonly number[]>,
): Promise<void> {
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'disabled',
    logSeverityLevel: 3,
  })
  try {
    const feeds = Object.fromEntries(
      inputs.map((input) => {
        const dims = [...known.get(input.name)!]
        return [input.name, new ort.Tensor('float32', new Float32Array(product(dims)), dims)]
      }),
    )
    const fetched = await session.run(feeds, fetches)
    for (const [name, value] of Object.entries(fetched)) known.set(name, value.dims)
  } finally {
    await session.release()
  }
}
