import { globalAveragePool } from '../../src/main/model/head'
import { inferInBatches, type ImageInput } from '../../src/main/model/batchedInference'
import type { InferenceEngine } from '../../src/main/model/inferenceEngine'
import type { ModelPackage } from '../../src/main/model/modelPackage'
import { jointEnergy } from '../../src/main/model/oodScore'

/** Pooled features [n × K] and joint energies of images, through the app's one inference path. */
export async function poolAndEnergy(
  engine: InferenceEngine,
  pkg: ModelPackage,
  inputs: ImageInput[],
  onProgress?: (done: number, total: number) => void,
): Promise<{ pooled: Float32Array; energy: number[]; n: number; dims: number }> {
  const [K, h, w] = pkg.manifest.outputs.features.shape
  const C = pkg.manifest.findings.length
  const pooled = new Float32Array(inputs.length * K)
  const energy: number[] = []
  await inferInBatches(
    engine,
    pkg,
    inputs,
    (input) => input,
    (batch) => {
      batch.items.forEach((_, i) => {
        pooled.set(globalAveragePool(batch.result.features, K, h * w, i * K * h * w), (batch.start + i) * K)
        energy.push(jointEnergy(batch.result.logits.subarray(i * C, (i + 1) * C)))
      })
    },
    { batchSize: 16, onProgress },
  )
  return { pooled, energy, n: inputs.length, dims: K }
}
