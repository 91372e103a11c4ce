import type { ExplainMethod } from '../../shared/explainMethods'
import { camForAllClasses } from '../explain/camMethods'
import { layerShap } from '../explain/layerShap'
import { kernelShapGrid, occlusionGrid } from '../explain/perturbationMethods'
import { backgroundSource } from '../inference/backgrounds'
import type { InferenceEngine } from '../inference/inferenceEngine'
import type { ModelPackage } from '../inference/modelPackage'
import type { CaseStore } from '../store/caseStore'

export interface ExplainBudget {
  /** occlusion's grid (patches of 2×2 cells, stride one cell) */
  occlusionGrid: number
  /** Kernel SHAP's grid and model evaluations */
  shapGrid: number
  samples: number
  seed: number
}

interface Context {
  engine: InferenceEngine
  pkg: ModelPackage
  tensor: Float32Array
  features: Float32Array
  budget: ExplainBudget
}

// The blur background, computed as the app computes it; it never reads the store.
const blurOf = (ctx: Context) => backgroundSource('blur', { store: undefined as unknown as CaseStore, engine: ctx.engine }, ctx.pkg)(ctx.tensor)

async function cam(method: 'gradcam' | 'gradcampp' | 'cam' | 'eigencam', ctx: Context): Promise<Float64Array[]> {
  const [K, h, w] = ctx.pkg.manifest.outputs.features.shape
  return (await camForAllClasses(method, { data: ctx.features, channels: K, height: h, width: w }, ctx.pkg.head)).maps
}

/**
 * Every method's maps for one preprocessed image, with the same code the app stores heatmaps with
 * (analysisService), minus the store. A Record over ExplainMethod, so a method added to the
 * contract does not compile until its sanity check is defined here too.
 */
const METHODS: Record<ExplainMethod, (ctx: Context) => Promise<Float64Array[]>> = {
  gradcam: (ctx) => cam('gradcam', ctx),
  gradcampp: (ctx) => cam('gradcampp', ctx),
  cam: (ctx) => cam('cam', ctx),
  eigencam: (ctx) => cam('eigencam', ctx),
  layershap: async (ctx) => {
    const [K, h, w] = ctx.pkg.manifest.outputs.features.shape
    const background = await blurOf(ctx)
    return layerShap({ data: ctx.features, channels: K, height: h, width: w }, await background.features(), ctx.pkg.head)
  },
  occlusion: async (ctx) => {
    const background = await blurOf(ctx)
    return (await occlusionGrid({ pkg: ctx.pkg, engine: ctx.engine, image: ctx.tensor, background: background.tensor }, { grid: ctx.budget.occlusionGrid })).maps
  },
  kernelshap: async (ctx) => {
    const background = await blurOf(ctx)
    const input = { pkg: ctx.pkg, engine: ctx.engine, image: ctx.tensor, background: background.tensor }
    return (await kernelShapGrid(input, { grid: ctx.budget.shapGrid, samples: ctx.budget.samples, seed: ctx.budget.seed })).maps
  },
}

/** Maps (one per finding) of each requested method for one image. */
export async function explainImage(engine: InferenceEngine, pkg: ModelPackage, tensor: Float32Array, methods: readonly ExplainMethod[], budget: ExplainBudget): Promise<Map<ExplainMethod, Float64Array[]>> {
  const { features } = await engine.run(pkg, tensor, 1)
  const ctx: Context = { engine, pkg, tensor, features: Float32Array.from(features), budget }
  const out = new Map<ExplainMethod, Float64Array[]>()
  for (const method of methods) out.set(method, await METHODS[method](ctx))
  return out
}
