import { globalAveragePool } from '../model/head'
import type { InferenceEngine } from '../model/inferenceEngine'
import type { ModelPackage } from '../model/modelPackage'
import { inferInBatches } from '../model/batchedInference'
import type { CaseStore } from '../store/caseStore'

/**
 * Pooled backbone activations (GAP of the feature map: exactly what the head sees) per case, from
 * onnxruntime-node, cached in the store by model file so reruns skip the backbone entirely.
 */
export async function pooledFeatures(
  deps: { store: CaseStore; engine: InferenceEngine },
  pkg: ModelPackage,
  caseIds: number[],
  hooks: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<{ features: Map<number, Float32Array>; computed: number }> {
  const { manifest } = pkg
  const [K, h, w] = manifest.outputs.features.shape
  const features = new Map<number, Float32Array>()
  const missing: number[] = []
  for (const id of caseIds) {
    const cached = deps.store.features.load(manifest.sha256, id)
    if (cached && cached.length === K) features.set(id, cached)
    else missing.push(id)
  }
  const input = (id: number) => {
    const record = deps.store.cases.get(id)!
    return { image: record.path, name: record.imageName }
  }
  await inferInBatches(deps.engine, pkg, missing, input, ({ items: ids, result: out }) => {
    deps.store.transaction(() => {
      ids.forEach((id, i) => {
        const pooled = Float32Array.from(globalAveragePool(out.features, K, h * w, i * K * h * w))
        deps.store.features.store(manifest.sha256, id, pooled)
        features.set(id, pooled)
      })
    })
  }, { batchSize: 16, signal: hooks.signal, cancelled: () => new Error('Feature extraction cancelled; what was computed is cached'), onProgress: hooks.onProgress })
  return { features, computed: missing.length }
}
