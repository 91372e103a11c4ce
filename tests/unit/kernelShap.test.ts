import { describe, expect, it } from 'vitest'
import { exactShapley, kernelShap, type CoalitionModel } from '../../src/main/explain/kernelShap'

/** A small nonlinear "model" with interactions and two outputs, over M players. */
function toyModel(M: number): CoalitionModel {
  const w = Array.from({ length: M }, (_, m) => Math.sin(m + 1) * 2)
  return async (masks) =>
    masks.map((z) => {
      const linear = z.reduce((s, v, m) => s + v * w[m], 0)
      const interaction = z[0] * z[1] * 1.5 - z[2] * z[3] * z[M - 1] * 0.7
      const y0 = 1 / (1 + Math.exp(-(linear + interaction) / 3))
      const y1 = Math.tanh(linear * 0.2) + z[M - 2] * z[0]
      return Float64Array.of(y0, y1)
    })
}

describe('Kernel SHAP', () => {
  it('equals the exact Shapley values when every coalition fits in the budget', async () => {
    const M = 7
    const model = toyModel(M)
    const exact = await exactShapley(model, M)
    const shap = await kernelShap(model, M, { samples: 2 ** M - 2 })
    expect(shap.exact).toBe(true)
    for (let c = 0; c < 2; c++) shap.values[c].forEach((v, m) => expect(v).toBeCloseTo(exact[c][m], 9))
  })

  it('adds up to f(x) − f(background) within 1e-4 (efficiency), also when sampling', async () => {
    const M = 16
    const shap = await kernelShap(toyModel(M), M, { samples: 1000, seed: 3 })
    expect(shap.exact).toBe(false)
    for (let c = 0; c < 2; c++) {
      const sum = shap.values[c].reduce((a, b) => a + b, 0)
      expect(Math.abs(sum - (shap.full[c] - shap.base[c]))).toBeLessThan(1e-4)
    }
  })

  it('approaches the exact values from samples on a model small enough to enumerate', async () => {
    const M = 10
    const model = toyModel(M)
    const exact = await exactShapley(model, M)
    const shap = await kernelShap(model, M, { samples: 600, seed: 11 })
    expect(shap.exact).toBe(false)
    for (let c = 0; c < 2; c++) {
      const scale = Math.max(...exact[c].map(Math.abs))
      shap.values[c].forEach((v, m) => expect(Math.abs(v - exact[c][m])).toBeLessThan(0.05 * scale))
    }
  })

  it('gives a linear model its coefficient × (x − background) exactly', async () => {
    const coef = [0.5, -2, 3, 0.25]
    const model: CoalitionModel = async (masks) => masks.map((z) => Float64Array.of(z.reduce((s, v, m) => s + v * coef[m], 0.1)))
    const shap = await kernelShap(model, 4, { samples: 14 })
    shap.values[0].forEach((v, m) => expect(v).toBeCloseTo(coef[m], 12))
  })
})
