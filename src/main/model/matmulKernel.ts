import * as ort from 'onnxruntime-node'
import { floatValueInfo, modelProto, nodeProto } from './onnxWrite'

/**
 * Matrix products run by ONNX Runtime's optimized CPU kernels (MLAS). Every CAM-family map is such a
 * product (per-class channel weights times the flattened feature map); for 14 findings × 1280
 * channels × 49 cells a plain JS loop costs milliseconds, ORT a fraction. Fine-tuning's forward and
 * backward passes are products too, with one operand transposed (Gemm's transA/transB, so no copy).
 * The graphs are written here as ONNX protobuf bytes, so no model file is involved.
 */
export function matmulModelBytes(): Uint8Array {
  return modelProto({
    name: 'cam_weighting',
    nodes: [nodeProto('MatMul', ['W', 'A'], ['Y'], 'cam_matmul')],
    inputs: [floatValueInfo('W', ['C', 'K']), floatValueInfo('A', ['K', 'N'])],
    outputs: [floatValueInfo('Y', ['C', 'N'])],
  })
}

function gemmModelBytes(transA: boolean, transB: boolean): Uint8Array {
  return modelProto({
    name: 'gemm',
    nodes: [nodeProto('Gemm', ['A', 'B'], ['Y'], 'gemm', { transA: transA ? 1 : 0, transB: transB ? 1 : 0 })],
    inputs: [floatValueInfo('A', ['R', 'S']), floatValueInfo('B', ['T', 'U'])],
    outputs: [floatValueInfo('Y', ['M', 'N'])],
  })
}

const sessions = new Map<string, Promise<ort.InferenceSession>>()

function session(key: string, bytes: () => Uint8Array, threads: number): Promise<ort.InferenceSession> {
  const id = `${key}:${threads}`
  let opened = sessions.get(id)
  if (!opened) {
    opened = ort.InferenceSession.create(bytes(), { executionProviders: ['cpu'], intraOpNumThreads: threads })
    sessions.set(id, opened)
  }
  return opened
}

/** Y = W · A with W [rows × inner] and A [inner × cols], both row-major (one thread: CAM maps are small). */
export async function matmul(w: Float32Array, rows: number, a: Float32Array, inner: number, cols: number): Promise<Float32Array> {
  const s = await session('matmul', matmulModelBytes, 1)
  const out = await s.run({ W: new ort.Tensor('float32', w, [rows, inner]), A: new ort.Tensor('float32', a, [inner, cols]) })
  return out.Y.data as Float32Array
}

export interface GemmOperand {
  data: Float32Array
  /** how the operand is stored, row-major */
  rows: number
  cols: number
  /** use its transpose in the product */
  transpose?: boolean
}

/**
 * Y = op(A) · op(B), op the optional transpose, on ORT's Gemm kernel. `threads` 0 lets ORT use every
 * physical core (training); the result is the same for a given thread count, so reruns are exact.
 */
export async function gemm(a: GemmOperand, b: GemmOperand, threads = 0): Promise<Float32Array> {
  const inner = a.transpose ? a.rows : a.cols
  const innerB = b.transpose ? b.cols : b.rows
  if (inner !== innerB) throw new Error(`gemm: inner dimensions differ (${inner} and ${innerB})`)
  if (a.data.length !== a.rows * a.cols || b.data.length !== b.rows * b.cols) throw new Error('gemm: operand size does not match its shape')
  const key = `gemm${a.transpose ? 'T' : 'N'}${b.transpose ? 'T' : 'N'}`
  const s = await session(key, () => gemmModelBytes(!!a.transpose, !!b.transpose), threads)
  const out = await s.run({
    A: new ort.Tensor('float32', a.data, [a.rows, a.cols]),
    B: new ort.Tensor('float32', b.data, [b.rows, b.cols]),
  })
  return out.Y.data as Float32Array
}
