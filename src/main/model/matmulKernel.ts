import * as ort from 'onnxruntime-node'
import { floatValueInfo, modelProto, nodeProto } from './onnxWrite'
import { openSession, type ProviderAttempt, type ProviderName, type SessionOptions } from './providers'

/**
 * Matrix products run by ONNX Runtime's optimized CPU kernels (MLAS). Every CAM-family map is such a
 * product (per-class channel weights times the flattened feature map); for 14 findings × 1280
 * channels × 49 cells a plain JS loop costs milliseconds, ORT a fraction. Fine-tuning's forward and
 * backward passes are products too, with one operand transposed (Gemm's transA/transB, so no copy).
 * The graphs are written here as ONNX protobuf bytes, so no model file is involved. Training's
 * products go through the inference provider chain (TrainingProducts); the CAM product stays on the CPU.
 */
export function matmulModelBytes(): Uint8Array {
  return modelProto({
    name: 'cam_weighting',
    nodes: [nodeProto('MatMul', ['W', 'A'], ['Y'], 'cam_matmul')],
    inputs: [floatValueInfo('W', ['C', 'K']), floatValueInfo('A', ['K', 'N'])],
    outputs: [floatValueInfo('Y', ['C', 'N'])],
  })
}

/** One Gemm node, Y = op(A) · op(B): the graph of every training product. */
export function gemmModelBytes(transA: boolean, transB: boolean): Uint8Array {
  return modelProto({
    name: 'gemm',
    nodes: [nodeProto('Gemm', ['A', 'B'], ['Y'], 'gemm', { transA: transA ? 1 : 0, transB: transB ? 1 : 0 })],
    inputs: [floatValueInfo('A', ['R', 'S']), floatValueInfo('B', ['T', 'U'])],
    outputs: [floatValueInfo('Y', ['M', 'N'])],
  })
}

const camSessions = new Map<string, Promise<ort.InferenceSession>>()

/**
 * The CAM product stays on the CPU, on one thread, whatever the inference provider: it is
 * 14 × K × cells multiply-adds on a feature map already in JS memory, where a GPU round trip would
 * cost more than the product.
 */
function camSession(): Promise<ort.InferenceSession> {
  let opened = camSessions.get('matmul')
  if (!opened) {
    opened = ort.InferenceSession.create(matmulModelBytes(), { executionProviders: ['cpu'], intraOpNumThreads: 1 })
    camSessions.set('matmul', opened)
  }
  return opened
}

/** Y = W · A with W [rows × inner] and A [inner × cols], both row-major (one thread: CAM maps are small). */
export async function matmul(w: Float32Array, rows: number, a: Float32Array, inner: number, cols: number): Promise<Float32Array> {
  const s = await camSession()
  const out = await s.run({ W: new ort.Tensor('float32', w, [rows, inner]), A: new ort.Tensor('float32', a, [inner, cols]) })
  return out.Y.data as Float32Array
}

/** Which provider runs the training products, and every provider tried before it. */
export interface ProductsProvider {
  provider: ProviderName
  attempts: ProviderAttempt[]
}

/**
 * Fine-tuning's matrix products on the same provider chain as inference (CUDA, then WebGPU, then
 * the CPU, each tried on its own, CXR_LENS_PROVIDER honoured): the chain is walked once, by the
 * first session opened, and every later product's session is made on the provider that won, so one
 * run never mixes providers and reports the one that did the work. On the CPU the sessions are the
 * MLAS Gemm they always were, with the thread count fixed per call, so a seeded run repeats exactly.
 */
export class TrainingProducts {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>()
  private chosen: Promise<ProductsProvider> | null = null

  constructor(private readonly options: SessionOptions = {}) {}

  /** The provider the products run on (walking the chain now if no product has run yet). */
  async provider(): Promise<ProductsProvider> {
    if (!this.chosen) await this.session('gemmNN', () => gemmModelBytes(false, false), 0)
    return this.chosen!
  }

  private session(key: string, bytes: () => Uint8Array, threads: number): Promise<ort.InferenceSession> {
    const id = `${key}:${threads}`
    let opened = this.sessions.get(id)
    if (!opened) {
      opened = this.open(bytes(), threads)
      opened.catch(() => this.sessions.delete(id))
      this.sessions.set(id, opened)
    }
    return opened
  }

  private async open(bytes: Uint8Array, threads: number): Promise<ort.InferenceSession> {
    const label = 'a training matrix product'
    if (!this.chosen) {
      const first = openSession(bytes, { ...this.options, threads }, label)
      const chosen = first.then(({ provider, attempts }) => ({ provider, attempts }))
      this.chosen = chosen
      chosen.catch(() => {
        if (this.chosen === chosen) this.chosen = null
      })
      return (await first).session
    }
    const { provider } = await this.chosen
    return (await openSession(bytes, { ...this.options, providers: [provider], threads }, label)).session
  }

  /**
   * Y = op(A) · op(B), op the optional transpose, on ORT's Gemm kernel. `threads` 0 takes the
   * products' own setting (`threads` given to the constructor, e.g. bench:train --threads), and
   * without one lets ORT use every physical core; the result is the same for a given thread count,
   * so reruns are exact.
   */
  async gemm(a: GemmOperand, b: GemmOperand, threads = 0): Promise<Float32Array> {
    threads ||= this.options.threads ?? 0
    const inner = a.transpose ? a.rows : a.cols
    const innerB = b.transpose ? b.cols : b.rows
    if (inner !== innerB) throw new Error(`gemm: inner dimensions differ (${inner} and ${innerB})`)
    if (a.data.length !== a.rows * a.cols || b.data.length !== b.rows * b.cols)
      throw new Error('gemm: operand size does not match its shape')
    const key = `gemm${a.transpose ? 'T' : 'N'}${b.transpose ? 'T' : 'N'}`
    const s = await this.session(key, () => gemmModelBytes(!!a.transpose, !!b.transpose), threads)
    const out = await s.run({
      A: new ort.Tensor('float32', a.data, [a.rows, a.cols]),
      B: new ort.Tensor('float32', b.data, [b.rows, b.cols]),
    })
    return out.Y.data as Float32Array
  }

  async close(): Promise<void> {
    for (const opened of this.sessions.values()) await (await opened.catch(() => null))?.release()
    this.sessions.clear()
    this.chosen = null
  }
}

/** What runs training's products: a TrainingProducts, or anything with its gemm (a test's stand-in). */
export type Products = Pick<TrainingProducts, 'gemm'>

/** The products fine-tuning and SMOTE use unless a run is given its own (one chain walk per process). */
export const trainingProducts = new TrainingProducts()

export interface GemmOperand {
  data: Float32Array
  /** how the operand is stored, row-major */
  rows: number
  cols: number
  /** use its transpose in the product */
  transpose?: boolean
}

/** Y = op(A) · op(B) on the training products' provider (see TrainingProducts.gemm). */
export function gemm(a: GemmOperand, b: GemmOperand, threads = 0): Promise<Float32Array> {
  return trainingProducts.gemm(a, b, threads)
}
