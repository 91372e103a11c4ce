import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { sessionOptionsFor, type SessionOptions } from '../src/main/model/providers'
import { median, round, timeAlternating } from './benchTiming'

/**
 * The same model file under other CPU session options than the engine's (providers.ts's
 * sessionOptionsFor: graph optimization 'all', intra-op threads as given, inter-op 1, sequential,
 * memory arena on, spinning off), each timed in alternation with the engine's options at batch 1
 * (latency) and batch 4 (throughput per image), wall and process CPU time both: what
 * `--session-variants` of bench:engine prints, so a quiet machine shows which option helps before
 * the engine's defaults change. `create_ms` is the session's creation (graph optimization included);
 * `optimized_file` loads a copy onnxruntime saved already optimized (optimizedModelFilePath), with
 * optimization off: what caching the optimized model per sha would save at start.
 */
export async function sessionVariants(modelPath: string, inputName: string, input: Float32Array, dims: number[], threads: number) {
  const work = mkdtempSync(join(tmpdir(), 'cxr-session-variants-'))
  const optimizedPath = join(work, 'optimized.onnx')
  const options = (extra: SessionOptions, more: Partial<ort.InferenceSession.SessionOptions> = {}) => ({
    ...sessionOptionsFor('cpu', { threads, ...extra }),
    logSeverityLevel: 3 as const,
    ...more,
  })
  // Written once, before the variants are made: the file the optimized_file variant loads.
  await (await ort.InferenceSession.create(modelPath, options({}, { optimizedModelFilePath: optimizedPath }))).release()
  const variants: Record<string, { model: string; options: ort.InferenceSession.SessionOptions }> = {
    engine: { model: modelPath, options: options({}) },
    spinning: { model: modelPath, options: options({ spinning: true }) },
    no_cpu_mem_arena: { model: modelPath, options: options({ cpuMemArena: false }) },
    optimization_extended: { model: modelPath, options: options({}, { graphOptimizationLevel: 'extended' }) },
    one_thread: { model: modelPath, options: options({ threads: 1 }) },
    optimized_file: { model: optimizedPath, options: options({}, { graphOptimizationLevel: 'disabled' }) },
  }
  const names = Object.keys(variants)
  const sessions: ort.InferenceSession[] = []
  const createMs: number[] = []
  try {
    for (const name of names) {
      const start = performance.now()
      sessions.push(await ort.InferenceSession.create(variants[name].model, variants[name].options))
      createMs.push(performance.now() - start)
    }
    const b1 = { [inputName]: new ort.Tensor('float32', input, dims) }
    const batch4 = new Float32Array(input.length * 4)
    for (let i = 0; i < 4; i++) batch4.set(input, i * input.length)
    const b4 = { [inputName]: new ort.Tensor('float32', batch4, [4, ...dims.slice(1)]) }
    for (const session of sessions) {
      await session.run(b1)
      await session.run(b4)
    }
    const latency = await timeAlternating(20, Object.fromEntries(names.map((name, i) => [name, () => sessions[i].run(b1)])))
    const throughput = await timeAlternating(6, Object.fromEntries(names.map((name, i) => [name, () => sessions[i].run(b4)])))
    return Object.fromEntries(
      names.map((name, i) => [
        name,
        {
          b1_p50: round(median(latency[name].wall)),
          b1_cpu_ms_p50: round(median(latency[name].cpu)),
          b4_per_image_p50: round(median(throughput[name].wall) / 4),
          b4_cpu_ms_per_image_p50: round(median(throughput[name].cpu) / 4),
          create_ms: round(createMs[i]),
        },
      ]),
    )
  } finally {
    for (const session of sessions) await session.release()
    rmSync(work, { recursive: true, force: true })
  }
}
