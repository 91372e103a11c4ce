/**
 * A claimed batch of the background queue, its images decoded into model inputs ahead of time: the
 * runner starts the next batch's decoding before it runs the model on the current one, so decoding
 * and inference overlap instead of taking turns. Each image is prepared on its own: one unreadable
 * file is that case's failure, not the batch's.
 *
 * Where the decoding runs is the `ImageDecoder`'s business. onnxruntime's run holds the calling JS
 * thread, and a libvips decode needs that thread between its steps (its completion, the next
 * image's start), so decodes started beside the model in the same thread stall until the model
 * returns; the background worker therefore decodes in a process of its own (jobs/backgroundDecoder)
 * whose event loop stays free. In-process decoding (tests, callers without that process) gives the
 * same tensors: both call preprocessImage.
 */
import type { InferenceEngine } from '../model/inferenceEngine'
import type { ModelPackage } from '../model/modelPackage'
import { packBatch, type InferredBatch } from '../model/batchedInference'
import { preprocessImage, preprocessSpecOf, type PreprocessSpec } from '../model/preprocess'
import type { QueueEntry } from '../store/analysisQueueRepository'
import type { CaseStore } from '../store/caseStore'
import type { ModelInputCache } from '../cases/modelInputCache'

export interface PreparedCase {
  entry: QueueEntry
  /** the model input, or null when the image could not be read or decoded */
  tensor: Float32Array | null
  /** why the case cannot be analysed (names the image), when tensor is null */
  reason: string | null
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.trim() || 'analysis failed without a reason given'
}

/** Turns a stored image into the model's input; a rejection's message is the case's failure reason (naming the image). */
export interface ImageDecoder {
  decode(image: { path: string; name: string }, spec: PreprocessSpec): Promise<Float32Array>
  /**
   * How many images may decode at once: one while the model runs beside them (the decoder and the
   * model then take a core each), two while the model waits for them. Optional: in-process decoding
   * has no pace of its own.
   */
  pace?(inFlight: 1 | 2): void
}

/** Decoding in the calling thread, as every other caller of preprocessImage does. */
export const inProcessDecoder: ImageDecoder = {
  decode: (image, spec) => preprocessImage(image.path, spec, image.name),
}

/**
 * Every entry's model input for `pkg`: the one the import kept (`kept`, the model-input cache), else
 * the image decoded by `decoder`; never rejects (a failure becomes that case's reason).
 */
export async function prepareCases(
  store: CaseStore,
  pkg: ModelPackage,
  entries: readonly QueueEntry[],
  decoder: ImageDecoder = inProcessDecoder,
  kept: ModelInputCache | null = null,
): Promise<PreparedCase[]> {
  const spec = preprocessSpecOf(pkg.manifest)
  return Promise.all(
    entries.map(async (entry) => {
      try {
        const record = store.cases.get(entry.caseId)
        if (!record) throw new Error(`Case ${entry.caseId} was not found`)
        const tensor =
          (await kept?.tensor(record.sha256, spec)) ?? (await decoder.decode({ path: record.path, name: record.imageName }, spec))
        return { entry, tensor, reason: null }
      } catch (error) {
        return { entry, tensor: null, reason: reasonOf(error) }
      }
    }),
  )
}

/** One engine call over prepared inputs, shaped as inferInBatches hands a batch to its caller. */
export async function inferPrepared(
  engine: InferenceEngine,
  pkg: ModelPackage,
  cases: ReadonlyArray<{ entry: QueueEntry; tensor: Float32Array }>,
): Promise<InferredBatch<{ id: number }>> {
  const tensors = cases.map((c) => c.tensor)
  const result = await engine.run(pkg, packBatch(tensors), tensors.length)
  const [K, h, w] = pkg.manifest.outputs.features.shape
  const mapSize = K * h * w
  return {
    items: cases.map((c) => ({ id: c.entry.caseId })),
    tensors,
    result,
    start: 0,
    featureMap: (i) => ({ data: result.features.subarray(i * mapSize, (i + 1) * mapSize), channels: K, height: h, width: w }),
  }
}
