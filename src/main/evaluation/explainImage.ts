import { EXPLAIN_METHOD_FACTS, type ExplainMethod } from '../../shared/explainMethods'
import { runMethod } from '../explain/methods'
import { blurBackground } from '../analysis/backgrounds'
import type { InferenceEngine } from '../model/inferenceEngine'
import type { ModelPackage } from '../model/modelPackage'

export interface ExplainBudget {
  /** occlusion's grid (patches of 2×2 cells, stride one cell) */
  occlusionGrid: number
  /** Kernel SHAP's grid and model evaluations */
  shapGrid: number
  samples: number
  seed: number
  /** Score-CAM's channels (highest mean activation first); the registry's default when absent */
  channels?: number
}

/**
 * Every requested method's maps (one per finding) for one preprocessed image, through the method
 * registry's own run functions (as analysisService stores them) with the blur background, minus the
 * store. A method added to the registry is checked here without further code.
 */
export async function explainImage(
  engine: InferenceEngine,
  pkg: ModelPackage,
  tensor: Float32Array,
  methods: readonly ExplainMethod[],
  budget: ExplainBudget,
  grids?: Map<ExplainMethod, { height: number; width: number }>,
): Promise<Map<ExplainMethod, Float64Array[]>> {
  const [K, h, w] = pkg.manifest.outputs.features.shape
  const { features } = await engine.run(pkg, tensor, 1)
  const featureMap = { data: Float32Array.from(features), channels: K, height: h, width: w }
  const background = blurBackground(engine, pkg, tensor)
  const out = new Map<ExplainMethod, Float64Array[]>()
  for (const method of methods) {
    const facts = EXPLAIN_METHOD_FACTS[method]
    const grid = method === 'occlusion' ? budget.occlusionGrid : budget.shapGrid
    const result = await runMethod(method, {
      pkg,
      engine,
      image: tensor,
      features: featureMap,
      background: facts.needsBackground ? background : null,
      options: { grid, samples: budget.samples, seed: budget.seed, channels: budget.channels },
    })
    out.set(
      method,
      result.maps.map((map) => Float64Array.from(map)),
    )
    grids?.set(method, { height: result.height, width: result.width }) // each method's own grid, for SSIM on the evaluation grid
  }
  return out
}
