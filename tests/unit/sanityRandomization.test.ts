import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { explainImage, type ExplainBudget } from '../../src/main/evaluation/explainImage'
import { randomizationCheck, type RandomizationReport, type RandomizationSummary } from '../../src/main/evaluation/randomizationCheck'
import { randomizedPackage, type RandomizedLayers } from '../../src/main/evaluation/randomizedModel'
import { averageRanks, spearman } from '../../src/main/stats/rankCorrelation'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import { loadModelPackage } from '../../src/main/model/modelPackage'
import { readOnnxGraph } from '../../src/main/model/onnxProto'
import { preprocessImage } from '../../src/main/model/preprocess'
import { EXPLAIN_METHOD_FACTS, EXPLAIN_METHODS, type ExplainMethod } from '../../src/shared/explainMethods'
import { NIH_256, REFERENCE_MODEL_DIR, tempDir } from './helpers'

describe('Spearman rank correlation', () => {
  it('gives tied values their average rank and agrees with scipy.stats.spearmanr', () => {
    expect(Array.from(averageRanks([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1])
    // scipy.stats.spearmanr(...).correlation on the same vectors
    expect(spearman([1, 2, 3, 4, 5, 5], [5, 6, 7, 8, 7, 1])).toBeCloseTo(0.1323529411764706, 12)
    expect(spearman([0, 0, 0, 1, 2, 3], [3, 1, 0, 0, 2, 2])).toBeCloseTo(0.1875916198442167, 12)
    expect(spearman([1, 2, 3], [30, 20, 10])).toBeCloseTo(-1, 12)
  })

  it('is undefined (null) for a flat map, and refuses maps of different sizes', () => {
    expect(spearman([0, 0, 0], [1, 2, 3])).toBeNull()
    expect(() => spearman([1, 2], [1, 2, 3])).toThrow(/2 values against 3/)
  })
})

// Why each method is expected to pass or fail, on the reference model (Adebayo et al. 2018).
// 'changes': median ρ ≤ 0.5 and no map left equal; 'stays': median ρ ≥ 0.7 (fails the check);
// 'identical': every map equal value for value.
type Outcome = 'changes' | 'stays' | 'identical'
const EXPECTED: Record<ExplainMethod, Record<RandomizedLayers, Outcome> & { why: string }> = {
  gradcam: { head: 'changes', 'head+last-block': 'changes', why: "its channel weights are the head's gradients, signed" },
  gradcampp: {
    head: 'stays',
    'head+last-block': 'changes',
    why: "with this model's small gradients alpha ≈ 1/2, so the map is ≈ ReLU(Σ_k ReLU(W_ck)·A_k): a positive mix of non-negative channels, close to the mean activation whichever channels the head favours",
  },
  cam: { head: 'changes', 'head+last-block': 'changes', why: "the head's weights, signed, on the feature map" },
  eigencam: {
    head: 'identical',
    'head+last-block': 'stays',
    why: 'class-agnostic: the first principal component of the feature map never reads the head, and a random 1×1 block mixes the same spatial structure',
  },
  scorecam: {
    head: 'stays',
    'head+last-block': 'changes',
    why: "each channel's weight is the randomized network's probability gain from its mask; a random head leaves about half the maps empty (all weights negative) and the rest a positive mix of the same channels, close to the original",
  },
  occlusion: { head: 'changes', 'head+last-block': 'changes', why: "drops in the randomized network's probabilities" },
  kernelshap: { head: 'changes', 'head+last-block': 'changes', why: "Shapley values of the randomized network's probabilities" },
  layershap: {
    head: 'changes',
    'head+last-block': 'changes',
    why: "the head's weights times the feature map's difference from the background",
  },
}

function expectOutcome(summary: RandomizationSummary, outcome: Outcome, what: string): void {
  const median = summary.rho.median
  if (outcome === 'identical') {
    expect(summary.identical, `${what}: every map identical`).toBe(summary.pairs)
    return
  }
  // A map that a randomized model leaves flat (every cell ReLU'd away) has changed, though ρ cannot say so.
  // 'stays' is judged on the maps still drawn: a method may empty some maps and keep the rest unchanged.
  const changedToFlat = outcome === 'changes' ? summary.emptied : 0
  const needed = outcome === 'changes' ? summary.pairs / 2 : summary.pairs / 4
  expect(summary.pairs - summary.flat + changedToFlat, `${what}: pairs with a ranking to compare, or emptied`).toBeGreaterThan(needed)
  expect(median, `${what}: median ρ`).not.toBeNull()
  if (outcome === 'changes') {
    expect(median!, `${what}: median ρ`).toBeLessThanOrEqual(0.5)
    // A flat map on both sides (e.g. Grad-CAM with no positive cell) is equal without saying anything.
    expect(summary.identical, `${what}: maps left equal`).toBeLessThanOrEqual(summary.flat)
  } else {
    expect(median!, `${what}: median ρ`).toBeGreaterThanOrEqual(0.7)
    expect(summary.identical, `${what}: maps left equal`).toBeLessThan(summary.pairs)
  }
}

describe('model-parameter randomization check on the reference model', () => {
  const pkg = loadModelPackage(REFERENCE_MODEL_DIR)
  const engine = new InferenceEngine({ providers: ['cpu'] })
  const dir = tempDir('cxr-randomized-')
  // Two images and small budgets keep this within a CI minute on two cores; the script
  // (`npm run sanity:randomization`) runs the app's default budgets on more images.
  const images = readdirSync(NIH_256)
    .filter((n) => n.endsWith('.png'))
    .sort()
    .slice(0, 2)
    .map((name) => ({ name, path: join(NIH_256, name) }))
  const budget: ExplainBudget = { occlusionGrid: 4, shapGrid: 3, samples: 64, seed: 1, channels: 32 }
  let report: RandomizationReport
  beforeAll(async () => {
    report = await randomizationCheck(engine, pkg, {
      images,
      methods: EXPLAIN_METHODS,
      layers: ['head', 'head+last-block'],
      seed: 7,
      budget,
    })
  }, 300_000) // ~16 s on two idle cores; generous for a loaded CI machine
  afterAll(async () => {
    await engine.close()
    dir.cleanup()
  })

  it('randomizes only the chosen layers, reproducibly, and the copy passes the package checks', () => {
    const original = readOnnxGraph(readFileSync(pkg.modelPath))
    for (const layers of ['head', 'head+last-block'] as const) {
      const a = randomizedPackage(pkg, layers, 7, mkdtempSync(join(dir.path, 'a-')))
      const b = randomizedPackage(pkg, layers, 7, mkdtempSync(join(dir.path, 'b-')))
      expect(a.manifest.sha256).toBe(b.manifest.sha256)
      expect(a.manifest.sha256).not.toBe(pkg.manifest.sha256)
      expect(a.manifest.version).toContain(`random-${layers}`)
      const replaced = new Set([pkg.manifest.head.layers[0].weight, pkg.manifest.head.layers[0].bias!])
      if (layers === 'head+last-block') [pkg.lastBlock!.weight, pkg.lastBlock!.bias!].forEach((n) => replaced.add(n))
      const graph = readOnnxGraph(readFileSync(a.modelPath))
      for (const [name, tensor] of original.initializers) {
        const same = tensor.data.every((v, i) => v === graph.initializers.get(name)!.data[i])
        expect(same, `${name} ${replaced.has(name) ? 'replaced' : 'kept'}`).toBe(!replaced.has(name))
      }
    }
    expect(() =>
      randomizedPackage(loadModelPackage(join(__dirname, '../fixtures/engine/tiny-resnet')), 'head+last-block', 7, dir.path),
    ).toThrow(/no last block to randomize/)
  })

  it('gives the same maps for the same model twice (so a low ρ is the randomization, not noise)', async () => {
    const tensor = await preprocessImage(images[0].path, pkg.manifest, images[0].name)
    const [first, second] = [
      await explainImage(engine, pkg, tensor, EXPLAIN_METHODS, budget),
      await explainImage(engine, pkg, tensor, EXPLAIN_METHODS, budget),
    ]
    for (const method of EXPLAIN_METHODS)
      first.get(method)!.forEach((map, c) => expect(Array.from(map), `${method} ${c}`).toEqual(Array.from(second.get(method)![c])))
    // Kernel SHAP samples coalitions: with another sampling seed its map must still agree far better
    // than with a randomized model, or its "change" would be sampling noise.
    expect(report.noiseFloor!.kernelshap.rho.median!).toBeGreaterThanOrEqual(0.8)
  }, 60_000)

  for (const method of EXPLAIN_METHODS) {
    it(`${method}: ${EXPECTED[method].head} with a random head, ${EXPECTED[method]['head+last-block']} with a random head and last block (${EXPECTED[method].why})`, () => {
      for (const layers of ['head', 'head+last-block'] as const) {
        const summary = report.summary[method][layers]!
        expect(summary.pairs, `${method} ${layers} pairs`).toBe(images.length * pkg.manifest.findings.length)
        expectOutcome(summary, EXPECTED[method][layers], `${method} ${layers}`)
      }
      // What the viewer and reports warn about is what this check finds.
      expect(EXPLAIN_METHOD_FACTS[method].passesRandomization, `${method}: registry's passesRandomization`).toBe(
        EXPECTED[method].head === 'changes',
      )
    })
  }
})
