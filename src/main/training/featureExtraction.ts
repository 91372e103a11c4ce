import { globalAveragePool } from '../model/head'
import type { InferenceEngine } from '../model/inferenceEngine'
import type { ModelPackage } from '../model/modelPackage'
import { preprocessImage } from '../model/preprocess'
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
  for (let start = 0; start < missing.length; start += 16) {
    if (hooks.signal?.aborted) throw new Error('Feature extraction cancelled; what was computed is cached')
    const ids = missing.slice(start, start + 16)
    const tensors = await Promise.all(ids.map((id) => {
      const record = deps.store.cases.get(id)!
      return preprocessImage(record.path, manifest, record.imageName)
    }))
    const batch = new Float32Array(tensors[0].length * ids.length)
    tensors.forEach((t, i) => batch.set(t, i * t.length))
    const out = await deps.engine.run(pkg, batch, ids.length)
    deps.store.transaction(() => {
      ids.forEach((id, i) => {
        const pooled = Float32Array.from(globalAveragePool(out.features, K, h * w, i * K * h * w))
        deps.store.features.store(manifest.sha256, id, pooled)
        features.set(id, pooled)
      })
    })
    hooks.onProgress?.(Math.min(start + 16, missing.length), missing.length)
  }
  return { features, computed: missing.length }
}
