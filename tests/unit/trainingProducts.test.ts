import * as ort from 'onnxruntime-node'
import { afterAll, describe, expect, it } from 'vitest'
import { TrainingProducts, type GemmOperand } from '../../src/main/model/matmulKernel'
import type { SessionCreate } from '../../src/main/model/providers'

/** A session factory whose GPU provider always fails (as WebGPU does without an adapter), recording every attempt. */
function failingGpuChain() {
  const tried: string[] = []
  const create: SessionCreate = async (model, options) => {
    const provider = String(options.executionProviders?.[0])
    tried.push(provider)
    if (provider !== 'cpu') throw new Error('fake adapter lost\nnative detail')
    return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options)
  }
  return { create, tried }
}

const operand = (rows: number, cols: number, seed: number, transpose = false): GemmOperand => ({
  data: Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.37 + seed)),
  rows,
  cols,
  transpose,
})

describe('training products on the provider chain', () => {
  const cpu = new TrainingProducts({ providers: ['cpu'] })
  afterAll(() => cpu.close())

  it('falls back from a failing first provider to the CPU, reports it, and gives the CPU result bit for bit', async () => {
    const { create, tried } = failingGpuChain()
    const products = new TrainingProducts({ providers: ['webgpu', 'cpu'], create })
    try {
      const a = operand(5, 7, 1)
      const b = operand(3, 7, 2, true)
      expect(await products.gemm(a, b, 1)).toEqual(await cpu.gemm(a, b, 1))
      expect(await products.provider()).toEqual({
        provider: 'cpu',
        attempts: [
          { provider: 'webgpu', ok: false, reason: 'fake adapter lost' },
          { provider: 'cpu', ok: true },
        ],
      })
      // Later products open on the provider that won: the chain is walked once per run.
      const at = operand(7, 5, 3, true)
      expect(await products.gemm(at, operand(7, 4, 4), 1)).toEqual(await cpu.gemm(at, operand(7, 4, 4), 1))
      expect(tried).toEqual(['webgpu', 'cpu', 'cpu'])
    } finally {
      await products.close()
    }
  })

  it('names every provider tried when none can run the products', async () => {
    const products = new TrainingProducts({
      providers: ['webgpu'],
      create: async () => {
        throw new Error('no supported adapters')
      },
    })
    await expect(products.gemm(operand(2, 2, 1), operand(2, 2, 2))).rejects.toThrow(
      /No execution provider could run a training matrix product: webgpu: no supported adapters/,
    )
    // a failed walk is not remembered as a choice
    await expect(products.provider()).rejects.toThrow(/webgpu: no supported adapters/)
  })

  it('still refuses operands whose shapes do not fit, before any session opens', async () => {
    const { create, tried } = failingGpuChain()
    const products = new TrainingProducts({ providers: ['cpu'], create })
    await expect(products.gemm(operand(2, 3, 1), operand(2, 3, 2))).rejects.toThrow(/inner dimensions differ \(3 and 2\)/)
    expect(tried).toEqual([])
  })

  it('runs on the thread count the products were made with unless a call names one (bench:train --threads)', async () => {
    const threads: number[] = []
    const create: SessionCreate = async (model, options) => {
      threads.push(options.intraOpNumThreads ?? -1)
      return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options)
    }
    const products = new TrainingProducts({ providers: ['cpu'], threads: 2, create })
    try {
      const a = operand(4, 3, 1)
      const b = operand(3, 5, 2)
      expect(await products.gemm(a, b)).toEqual(await cpu.gemm(a, b, 2))
      await products.gemm(a, b, 1)
      expect(threads).toEqual([2, 1])
    } finally {
      await products.close()
    }
  })
})
