import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { graphFlops } from '../../src/main/model/graphFlops'
import { floatValueInfo, modelProto, nodeProto } from '../../src/main/model/onnxWrite'

const oneNode = (op: string, inputs: Array<[string, Array<string | number>]>, attributes: Record<string, number> = {}) =>
  modelProto({
    name: 'one',
    nodes: [
      nodeProto(
        op,
        inputs.map(([name]) => name),
        ['Y'],
        'n',
        attributes,
      ),
    ],
    inputs: inputs.map(([name, dims]) => floatValueInfo(name, dims)),
    outputs: [floatValueInfo('Y')],
  })

describe('FLOPs of an ONNX graph', () => {
  it('counts 2·M·K·N for a MatMul and a transposed Gemm', async () => {
    const matmul = await graphFlops(
      oneNode('MatMul', [
        ['A', ['M', 'K']],
        ['B', ['K', 'N']],
      ]),
      { A: [5, 7], B: [7, 3] },
    )
    expect(matmul).toEqual({ flops: 2 * 5 * 7 * 3, byOp: { MatMul: 210 }, nodes: 1 })
    const gemm = await graphFlops(
      oneNode(
        'Gemm',
        [
          ['A', ['M', 'K']],
          ['B', ['N', 'K']],
        ],
        { transB: 1 },
      ),
      { A: [4, 6], B: [9, 6] },
    )
    expect(gemm.flops).toBe(2 * 4 * 6 * 9)
  })

  it('counts a grouped Conv from its output shape and weight: out values × Cin/group × kh × kw × 2', async () => {
    const conv = oneNode(
      'Conv',
      [
        ['X', [1, 4, 10, 9]],
        ['W', [6, 2, 3, 3]],
      ],
      { group: 2 },
    )
    // output [1, 6, 8, 7]
    expect((await graphFlops(conv, { X: [1, 4, 10, 9], W: [6, 2, 3, 3] })).flops).toBe(2 * 6 * 8 * 7 * 2 * 3 * 3)
  })

  it('takes shapes from a run of the real model, so twice the batch is twice the FLOPs', async () => {
    const model = readFileSync(resolve(__dirname, '../fixtures/engine/tiny-resnet/model.onnx'))
    const one = await graphFlops(model, { image: [1, 1, 64, 64] })
    const two = await graphFlops(model, { image: [2, 1, 64, 64] })
    expect(one.flops).toBeGreaterThan(1e5)
    expect(Object.keys(one.byOp).every((op) => ['Conv', 'Gemm', 'MatMul'].includes(op))).toBe(true)
    expect(two.flops).toBe(2 * one.flops)
  })

  it('refuses when an input has no dims, naming it', async () => {
    await expect(
      graphFlops(
        oneNode('MatMul', [
          ['A', ['M', 'K']],
          ['B', ['K', 'N']],
        ]),
        { A: [5, 7] },
      ),
    ).rejects.toThrow(/no dims given for input B/)
  })
})
