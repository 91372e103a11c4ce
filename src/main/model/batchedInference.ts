import type { BatchResult, InferenceEngine } from './inferenceEngine'
import type { ModelPackage } from './modelPackage'
import { preprocessImage } from './preprocess'

/** Where one item's image is: a file path or its bytes, and the name errors give it. */
export interface ImageInput {
  image: string | Uint8Array
  name: string
  /** The model input kept for this image (the model-input cache), or null: then the image is decoded. */
  kept?: () => Promise<Float32Array | null>
}

/** One batch as the engine returned it, with the items and the preprocessed tensors that went in. */
export interface InferredBatch<T> {
  items: T[]
  /** the preprocessed input per item, in the items' order */
  tensors: Float32Array[]
  result: BatchResult
  /** index of items[0] in the whole list */
  start: number
  /** item i's feature map [K × h × w] (a view into result.features) */
  featureMap(i: number): { data: Float32Array; channels: number; height: number; width: number }
}

export interface BatchOptions {
  /** items per engine call (default 16) */
  batchSize?: number
  /** intermediate tensors to return too (InferenceEngine.run's `taps`) */
  taps?: readonly string[]
  /** checked before each batch; a cancel never interrupts a batch half-handled */
  signal?: AbortSignal
  /** the error thrown on cancel, given how many items were handled (default: "cancelled after N item(s)") */
  cancelled?: (done: number) => Error
  /** after each batch has been handled: items done so far, of all */
  onProgress?: (done: number, total: number) => void
}

/**
 * The one inference pipeline: preprocess a batch of images (decoded in parallel, libvips on the
 * libuv pool), pack them into one input tensor, run the engine, hand the batch to `onBatch`, then the
 * next. Every caller (analysis, evaluation, feature caches, block inputs, the mean background) goes
 * through here, so batching, cancel and progress behave the same everywhere and the numbers are the
 * engine's, whatever the caller does with them.
 */
export async function inferInBatches<T>(
  engine: InferenceEngine,
  pkg: ModelPackage,
  items: readonly T[],
  inputOf: (item: T) => ImageInput,
  onBatch: (batch: InferredBatch<T>) => void | Promise<void>,
  options: BatchOptions = {},
): Promise<void> {
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 16))
  const [K, h, w] = pkg.manifest.outputs.features.shape
  const mapSize = K * h * w
  for (let start = 0; start < items.length; start += batchSize) {
    if (options.signal?.aborted) throw options.cancelled?.(start) ?? new Error(`Inference cancelled after ${start} item(s)`)
    const chunk = items.slice(start, start + batchSize)
    const inputs = chunk.map(inputOf)
    const tensors = await Promise.all(
      inputs.map(async (input) => (await input.kept?.()) ?? preprocessImage(input.image, pkg.manifest, input.name)),
    )
    const result = await engine.run(pkg, packBatch(tensors), tensors.length, options.taps)
    const featureMap = (i: number) => ({ data: result.features.subarray(i * mapSize, (i + 1) * mapSize), channels: K, height: h, width: w })
    await onBatch({ items: chunk, tensors, result, start, featureMap })
    options.onProgress?.(start + chunk.length, items.length)
  }
}

/** Tensors of one shape, end to end: the [n × …] input of one engine call. */
export function packBatch(tensors: readonly Float32Array[]): Float32Array {
  const size = tensors[0]?.length ?? 0
  const batch = new Float32Array(size * tensors.length)
  tensors.forEach((t, i) => batch.set(t, i * size))
  return batch
}
