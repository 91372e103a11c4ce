/**
 * `npx tsx scripts/benchHeadStep.ts [--provider cpu|webgpu] [--steps N] [--threads N]`: does the head's
 * training step pay as ONE generated ONNX graph (issue 19)? Times, on the reference model's head shape
 * (batch 64 × 1,024 pooled features → 14 findings), the step as fine-tuning runs it (two Gemm sessions
 * on the training products plus the BCE-with-positive-weights gradient and bias sums in JS) against one
 * session run of a graph that does forward, loss and both gradients (Gemm, Sigmoid, the weighted BCE,
 * Gemm for dW, a product with ones for db), and checks that both give the same gradients.
 * Adam's update stays in JS in both (it is element-wise on 14,350 values, and the seeded CPU run must
 * stay bit-identical, which a float32 graph of the same formulas is not: JS does them in float64).
 * Prints one JSON line: per path wall and CPU (process.cpuUsage, all threads) milliseconds per step,
 * and the largest gradient difference relative to the tensor's largest value.
 * The fused graph was measured and not adopted (README, fine-tuning): on the CPU the products are a
 * small part of a head step, and on WebGPU it changes little; this script keeps the measurement repeatable.
 */
import { parseArgs } from 'node:util'
import * as ort from 'onnxruntime-node'
import { TrainingProducts } from '../src/main/model/matmulKernel'
import { floatValueInfo, modelProto, nodeProto } from '../src/main/model/onnxWrite'
import type { ProviderName } from '../src/main/model/providers'
import { openSession } from '../src/main/model/providers'
import { seededRandom } from '../src/shared/random'
import { linearHeadTrainable } from '../src/main/training/trainables'

const { values } = parseArgs({ options: { provider: { type: 'string' }, steps: { type: 'string' }, threads: { type: 'string' } } })
const provider = (values.provider ?? 'cpu') as ProviderName
const steps = Number(values.steps ?? 200)
const threads = Number(values.threads ?? 0)
const n = 64
const K = 1024
const C = 14

/** Forward + weighted BCE + gradients, one graph: inputs X, W, B, Y (0/1), PWM1 = posWeight − 1, ONES [n×1], constants. */
export function headStepModelBytes(): Uint8Array {
  const node = (op: string, inputs: string[], output: string, attributes: Record<string, number> = {}) =>
    nodeProto(op, inputs, [output], output, attributes)
  return modelProto({
    name: 'head_step',
    nodes: [
      node('Gemm', ['X', 'W', 'B'], 'Z', { transB: 1 }),
      node('Sigmoid', ['Z'], 'P'),
      node('Sub', ['P', 'Y'], 'D'),
      node('Mul', ['Y', 'PWM1'], 'YW'),
      node('Add', ['YW', 'ONE'], 'WT'), // w = posWeight where y = 1, else 1
      node('Mul', ['D', 'WT'], 'G0'),
      node('Mul', ['G0', 'INVN'], 'G'), // d loss / d logits (mean over the batch)
      node('Gemm', ['G', 'X'], 'GW', { transA: 1 }),
      node('Gemm', ['G', 'ONES'], 'GB', { transA: 1 }),
      node('Max', ['P', 'EPS'], 'PC'),
      node('Log', ['PC'], 'LP'),
      node('Sub', ['ONE', 'P'], 'Q'),
      node('Max', ['Q', 'EPS'], 'QC'),
      node('Log', ['QC'], 'LQ'),
      node('Sub', ['ONE', 'Y'], 'YN'),
      node('Mul', ['Y', 'LP'], 'T1'),
      node('Mul', ['YN', 'LQ'], 'T2'),
      node('Add', ['T1', 'T2'], 'T'),
      node('Mul', ['T', 'WT'], 'WL'),
      node('ReduceSum', ['WL'], 'NEGLOSS', { keepdims: 0 }),
    ],
    inputs: [
      floatValueInfo('X', ['n', 'K']),
      floatValueInfo('W', ['C', 'K']),
      floatValueInfo('B', ['C']),
      floatValueInfo('Y', ['n', 'C']),
      floatValueInfo('PWM1', ['C']),
      floatValueInfo('ONES', ['n', 1]),
      floatValueInfo('ONE', [1]),
      floatValueInfo('EPS', [1]),
      floatValueInfo('INVN', [1]),
    ],
    outputs: [floatValueInfo('GW', ['C', 'K']), floatValueInfo('GB', ['C', 1]), floatValueInfo('NEGLOSS', [])],
  })
}

const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

async function main(): Promise<void> {
  const random = seededRandom(3)
  const x = Float32Array.from({ length: n * K }, () => Math.max(0, random() * 2 - 0.5))
  const weight = Float32Array.from({ length: C * K }, () => (random() - 0.5) * 0.05)
  const bias = new Float32Array(C).fill(-1.5)
  const labels = Uint8Array.from({ length: n * C }, () => (random() < 0.2 ? 1 : 0))
  const posWeight = Array.from({ length: C }, (_, c) => 1 + c * 0.5)

  // Today's step: the trainable's backward with the loop's BCE gradient (a copy of trainLoop's formula).
  const products = new TrainingProducts({ providers: [provider], ...(threads ? { threads } : {}) })
  const head = linearHeadTrainable({ weight, bias }, K, products)
  const bce = (logits: Float32Array) => {
    const grad = new Float32Array(n * C)
    for (let j = 0; j < n * C; j++) {
      const y = labels[j]
      const p = 1 / (1 + Math.exp(-logits[j]))
      grad[j] = ((y ? posWeight[j % C] : 1) * (p - y)) / n
    }
    return grad
  }
  const noDropout = { keep: 1, random: () => 0 }
  const today = () => head.backward(x, n, noDropout, bce)

  const { session, provider: ran } = await openSession(headStepModelBytes(), { providers: [provider], threads }, 'the head step graph')
  const f = (data: Float32Array, dims: number[]) => new ort.Tensor('float32', data, dims)
  const feedsConst = {
    Y: f(Float32Array.from(labels), [n, C]),
    PWM1: f(
      Float32Array.from(posWeight, (w) => w - 1),
      [C],
    ),
    ONES: f(new Float32Array(n).fill(1), [n, 1]),
    ONE: f(Float32Array.of(1), [1]),
    EPS: f(Float32Array.of(1e-12), [1]),
    INVN: f(Float32Array.of(1 / n), [1]),
  }
  const fused = async () => {
    // the dropout mask stays in JS (the seeded generator's sequence), as in today's step
    const xd = Float32Array.from(x)
    for (let i = 0; i < xd.length; i++) xd[i] *= noDropout.random() < noDropout.keep ? 1 / noDropout.keep : 0
    const out = await session.run({ X: f(xd, [n, K]), W: f(weight, [C, K]), B: f(bias, [C]), ...feedsConst })
    return [out.GW.data as Float32Array, out.GB.data as Float32Array]
  }

  const time = async (step: () => Promise<Float32Array[]>) => {
    for (let i = 0; i < 5; i++) await step() // warm-up: sessions, kernels, shaders
    const wall0 = performance.now()
    const cpu0 = cpuMs()
    for (let i = 0; i < steps; i++) await step()
    return { wall_ms_per_step: +((performance.now() - wall0) / steps).toFixed(3), cpu_ms_per_step: +((cpuMs() - cpu0) / steps).toFixed(3) }
  }
  const [gw, gb] = await today()
  const [fw, fb] = await fused()
  const rel = (a: Float32Array, b: Float32Array) => {
    let d = 0
    let m = 0
    for (let i = 0; i < b.length; i++) {
      d = Math.max(d, Math.abs(a[i] - b[i]))
      m = Math.max(m, Math.abs(b[i]))
    }
    return d / m
  }
  const result = {
    provider: ran,
    threads: threads || 'default',
    steps,
    shape: { n, K, C },
    products_and_js: await time(today),
    one_graph: await time(fused),
    grad_weight_max_rel_diff: rel(fw, gw),
    grad_bias_max_rel_diff: rel(fb, gb),
  }
  await session.release()
  await products.close()
  console.log(JSON.stringify(result))
}

main().catch((error: Error) => {
  process.stderr.write(`benchHeadStep: ${error.message}\n`)
  process.exit(1)
})
