/**
 * Where a background case's CPU time goes: each stage of the background path run on its own, one
 * after another in this thread (nothing else running), over the first `count` cases of a store, as
 * CPU milliseconds per case (process.cpuUsage: libvips' and onnxruntime's threads included). The
 * stages are those the worker and its decoder thread run: read the file, decode and resize it to
 * the model input (libvips, then the normalization loop), the model over batches of 4 on one thread,
 * every finding's Grad-CAM from the features, the OOD score, and the batch's results transaction.
 * For bench:background's `stages_cpu_ms`.
 */
import { readFile } from 'node:fs/promises'
import { camForAllClasses } from '../src/main/explain/camMethods'
import { packBatch } from '../src/main/model/batchedInference'
import { InferenceEngine } from '../src/main/model/inferenceEngine'
import type { ModelPackage } from '../src/main/model/modelPackage'
import { oodScores, oodVerdict } from '../src/main/model/oodScore'
import { preprocessImage } from '../src/main/model/preprocess'
import { ModelInputCache } from '../src/main/cases/modelInputCache'
import type { CaseStore } from '../src/main/store/caseStore'

/**
 * `total` is the decoding path's (read + decode_resize + the rest); `kept_input` is reading the
 * import's kept model input instead of those two (cases/modelInputCache.ts), and `total_kept` that
 * path's total: what a background case costs when the import kept its input.
 */
export type StageCpuMs = Record<
  'read' | 'decode_resize' | 'inference' | 'gradcam_all_findings' | 'ood' | 'store' | 'total' | 'kept_input' | 'total_kept',
  number
>

const BATCH = 4

export async function backgroundStages(store: CaseStore, pkg: ModelPackage, count: number): Promise<StageCpuMs> {
  const records = store.worklist
    .matchingIds({})
    .slice(0, count)
    .map((id) => store.cases.get(id)!)
  const n = records.length
  const spent = { read: 0, decode_resize: 0, inference: 0, gradcam_all_findings: 0, ood: 0, store: 0, kept_input: 0 }
  const kept = ModelInputCache.ofDatabase(store.path)
  let keptHits = 0
  const timed = async <T>(stage: keyof typeof spent, work: () => Promise<T> | T): Promise<T> => {
    const since = process.cpuUsage()
    const out = await work()
    const d = process.cpuUsage(since)
    spent[stage] += (d.user + d.system) / 1000
    return out
  }
  const { manifest } = pkg
  const [K, h, w] = manifest.outputs.features.shape
  const classes = manifest.findings.length
  const engine = new InferenceEngine({ threads: 1 })
  try {
    // The session is opened (and warmed) outside the figures, as a running worker has it.
    await engine.run(pkg, packBatch([await preprocessImage(records[0].path, manifest, records[0].imageName)]), 1)
    for (let start = 0; start < n; start += BATCH) {
      const chunk = records.slice(start, start + BATCH)
      const tensors: Float32Array[] = []
      for (const record of chunk) {
        const bytes = await timed('read', () => readFile(record.path))
        tensors.push(await timed('decode_resize', () => preprocessImage(bytes, manifest, record.imageName)))
        if (kept && (await timed('kept_input', () => kept.tensor(record.sha256, manifest)))) keptHits++
      }
      const result = await timed('inference', () => engine.run(pkg, packBatch(tensors), tensors.length))
      const computed: Array<{
        record: (typeof records)[number]
        cam: Awaited<ReturnType<typeof camForAllClasses>>
        verdict: ReturnType<typeof oodVerdict> | undefined
        probabilities: Record<string, number>
      }> = []
      for (let i = 0; i < chunk.length; i++) {
        const features = { data: result.features.subarray(i * K * h * w, (i + 1) * K * h * w), channels: K, height: h, width: w }
        const cam = await timed('gradcam_all_findings', () => camForAllClasses('gradcam', features, pkg.head))
        const logits = result.logits.subarray(i * classes, (i + 1) * classes)
        const verdict = await timed('ood', () => (pkg.ood ? oodVerdict(pkg.ood, oodScores(pkg.ood, logits, features)) : undefined))
        const probabilities = Object.fromEntries(manifest.findings.map((f, c) => [f, result.probabilities[i * classes + c]]))
        computed.push({ record: chunk[i], cam, verdict, probabilities })
      }
      await timed('store', () =>
        store.transaction(() => {
          for (const { record, cam, verdict, probabilities } of computed) {
            store.results.putPredictions(record.id, manifest.id, manifest.version, probabilities)
            if (verdict) store.results.putOod(record.id, manifest.id, manifest.version, verdict)
            manifest.findings.forEach((finding, c) =>
              store.results.putHeatmap({
                caseId: record.id,
                modelId: manifest.id,
                modelVersion: manifest.version,
                finding,
                method: 'gradcam',
                params: { layer: manifest.outputs.features.name, gradients: 'closed-form' },
                width: cam.width,
                height: cam.height,
                data: Float32Array.from(cam.maps[c]),
              }),
            )
          }
        }),
      )
    }
  } finally {
    await engine.close()
  }
  if (keptHits < n) spent.kept_input = Number.NaN // some case had no kept input: no figure rather than a partial one
  const perCase = Object.fromEntries(Object.entries(spent).map(([k, v]) => [k, Math.round((v / n) * 100) / 100]))
  const { kept_input, ...decoding } = spent
  const total = Object.values(decoding).reduce((a, b) => a + b, 0)
  const totalKept = total - spent.read - spent.decode_resize + kept_input
  const round = (v: number) => Math.round((v / n) * 100) / 100
  return { ...perCase, total: round(total), total_kept: round(totalKept) } as StageCpuMs
}
