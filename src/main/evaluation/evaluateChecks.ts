/**
 * The two checks of whether a map reflects the model, run on evaluate's cases: deletion/insertion
 * faithfulness on every boxed case, and the cascading model-parameter randomization on the first N.
 */
import { EVAL_GRID, upsampleBilinear } from '../../shared/heatmapGrid'
import type { ExplainMethod } from '../../shared/explainMethods'
import { blurBackground } from '../analysis/backgrounds'
import type { InferenceEngine } from '../model/inferenceEngine'
import type { ModelPackage } from '../model/modelPackage'
import { preprocessImage } from '../model/preprocess'
import type { CaseOutput } from './evaluate'
import { FAITHFULNESS_STEPS, faithfulnessOf, type FaithfulnessScores, type InputGeometry } from './faithfulness'
import { FAITHFULNESS_DEFINITION, summarizeFaithfulness } from './faithfulnessSummary'
import { randomMap } from './localizationArms'
import { randomizationCheck, sanityFails } from './randomizationCheck'
import { RANDOMIZED_LAYERS } from './randomizedModel'
import type { EvaluationReport, SanityResult } from './reportTypes'

export async function runFaithfulness(
  pkg: ModelPackage,
  engine: InferenceEngine,
  outputs: CaseOutput[],
  method: ExplainMethod,
  boot: { resamples: number; seed: number },
): Promise<NonNullable<EvaluationReport['faithfulness']>> {
  const { manifest } = pkg
  const { height, width } = manifest.input
  const [, gridH, gridW] = manifest.outputs.features.shape
  const g: InputGeometry = { layout: manifest.input.layout, channels: manifest.input.channels === 'rgb' ? 3 : 1, height, width }
  const scores = new Map<string, FaithfulnessScores[]>()
  let k = 0
  for (const o of outputs) {
    if (o.maps.size === 0) continue
    const image = await preprocessImage(o.c.path, manifest, o.c.image)
    const background = blurBackground(engine, pkg, image).tensor
    for (const [finding, map] of o.maps) {
      const c = manifest.findings.indexOf(finding)
      const predict = async (batch: Float32Array, n: number) => {
        const result = await engine.run(pkg, batch, n)
        return Float64Array.from({ length: n }, (_, i) => result.probabilities[i * manifest.findings.length + c])
      }
      const seed = boot.seed + 104729 * k++
      const toInput = (m: Float32Array) => upsampleBilinear(m, EVAL_GRID, EVAL_GRID, height, width)
      const s = await faithfulnessOf(
        { patient: o.c.patient, map: toInput(map), randomMap: toInput(randomMap(gridH, gridW, seed + 2)), image, background, seed },
        g,
        predict,
      )
      scores.set(finding, [...(scores.get(finding) ?? []), s])
    }
  }
  const rows = Object.fromEntries([...scores].map(([f, s]) => [f, summarizeFaithfulness(s, boot)]))
  return {
    definition: FAITHFULNESS_DEFINITION,
    steps: FAITHFULNESS_STEPS,
    method,
    rows,
    failing: Object.keys(rows).filter((f) => rows[f].fails),
  }
}

export async function runSanity(
  pkg: ModelPackage,
  engine: InferenceEngine,
  outputs: CaseOutput[],
  method: ExplainMethod,
  count: number,
): Promise<SanityResult> {
  const started = performance.now()
  const picked = outputs.filter((o) => o.maps.size > 0).slice(0, count)
  const chosen = picked.length ? picked : outputs.slice(0, count)
  const layers = RANDOMIZED_LAYERS.filter((l) => l === 'head' || pkg.lastBlock)
  const seed = 7
  const report = await randomizationCheck(engine, pkg, {
    images: chosen.map((o) => ({ name: o.c.image, path: o.c.path })),
    methods: [method],
    layers,
    seed,
    budget: { occlusionGrid: 8, shapGrid: 8, samples: 1000, seed: 1 },
  })
  const summary = report.summary[method] ?? {}
  const verdict = Object.fromEntries(Object.entries(summary).map(([l, s]) => [l, sanityFails(s!)]))
  return {
    images: report.images,
    seed,
    method,
    summary,
    verdict,
    fails: Object.values(verdict).some((v) => v.fails),
    seconds: (performance.now() - started) / 1000,
  }
}
