import * as ort from 'onnxruntime-node'
import { median, round, timeAlternating } from './benchTiming'

/**
 * Batch-1 latency of the same model file under other CPU session options than the engine's
 * (graph optimization 'all', intra-op threads = cores, inter-op 1, memory arena on, spinning on),
 * timed in alternation with the engine's options: what `--session-variants` of bench:engine prints,
 * so a quiet machine shows which option helps before the engine's defaults change.
 */
export async function sessionVariants(modelPath: string, inputName: string, input: Float32Array, dims: number[], threads: number) {
  const base: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  }
  const variants: Record<string, ort.InferenceSession.SessionOptions> = {
    engine: base,
    no_spinning: { ...base, extra: { session: { intra_op: { allow_spinning: '0' } } } },
    no_cpu_mem_arena: { ...base, enableCpuMemArena: false },
    optimization_extended: { ...base, graphOptimizationLevel: 'extended' },
  }
  const sessions = await Promise.all(Object.values(variants).map((options) => ort.InferenceSession.create(modelPath, options)))
  try {
    const feeds = { [inputName]: new ort.Tensor('float32', input, dims) }
    for (const session of sessions) await session.run(feeds)
    const rows = Object.fromEntries(Object.keys(variants).map((name, i) => [name, () => sessions[i].run(feeds)]))
    const times = await timeAlternating(30, rows)
    return Object.fromEntries(
      Object.entries(times).map(([name, t]) => [name, { b1_p50: round(median(t.wall)), cpu_ms_p50: round(median(t.cpu)) }]),
    )
  } finally {
    for (const session of sessions) await session.release()
  }
}
