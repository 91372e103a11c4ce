import { blurTensor } from '../model/imageOps'
import { meanFeatures } from '../explain/layerShap'
import type { CaseStore } from '../store/caseStore'
import type { InferenceEngine } from '../model/inferenceEngine'
import type { ModelPackage } from '../model/modelPackage'
import type { BackgroundKind } from '../../shared/jobs'
import { inferInBatches } from '../model/batchedInference'

/** What "a region removed" means for SHAP, occlusion and layer SHAP. */

export interface Background {
  /** The image a removed region is filled from. */
  tensor: Float32Array
  /** The feature-map expectation layer SHAP compares against. */
  features(): Promise<Float32Array | Float64Array>
  params: Record<string, unknown>
}

const BLUR_SIGMA_FRACTION = 1 / 16

/** The case's own image, Gaussian-blurred (σ = input height / 16): the default background. */
export function blurBackground(engine: InferenceEngine, pkg: ModelPackage, image: Float32Array): Background {
  const sigma = pkg.manifest.input.height * BLUR_SIGMA_FRACTION
  const tensor = blurTensor(image, pkg.manifest, sigma)
  return { tensor, features: async () => (await engine.run(pkg, tensor, 1)).features, params: { background: 'blur', sigma } }
}

/**
 * 'blur': the case's own image, Gaussian-blurred (keeps overall intensity, removes local detail).
 * 'mean': the mean of up to `count` normal ("No Finding") stored cases, or of any cases when none is
 * labelled normal; its feature expectation is the mean of those cases' feature maps (not the
 * features of the mean image), as Shapley values against a background distribution require.
 */
export function backgroundSource(kind: BackgroundKind, deps: { store: CaseStore; engine: InferenceEngine }, pkg: ModelPackage, count = 16) {
  let shared: Promise<{ tensor: Float32Array; features: Float64Array; cases: string[] }> | null = null
  const loadShared = async () => {
    let rows = deps.store.worklist.query({ finding: 'No Finding', limit: count }).rows
    if (rows.length === 0) rows = deps.store.worklist.query({ limit: count }).rows
    if (rows.length === 0) throw new Error('a mean background needs stored cases; import some first')
    // One engine call over all of them (batchSize = count): the mean needs every case at once.
    const mean: { tensor?: Float32Array; features?: Float64Array } = {}
    await inferInBatches(
      deps.engine,
      pkg,
      rows,
      (row) => ({ image: deps.store.cases.get(row.id)!.path, name: row.image }),
      ({ tensors, result }) => {
        const tensor = new Float32Array(tensors[0].length)
        for (const t of tensors) for (let i = 0; i < tensor.length; i++) tensor[i] += t[i] / tensors.length
        Object.assign(mean, { tensor, features: meanFeatures(result.features, tensors.length) })
      },
      { batchSize: rows.length },
    )
    return { tensor: mean.tensor!, features: mean.features!, cases: rows.map((r) => r.image) }
  }
  return async (image: Float32Array): Promise<Background> => {
    if (kind === 'blur') return blurBackground(deps.engine, pkg, image)
    const mean = await (shared ??= loadShared())
    return { tensor: mean.tensor, features: async () => mean.features, params: { background: 'mean', backgroundCases: mean.cases } }
  }
}
