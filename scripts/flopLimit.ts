import * as ort from 'onnxruntime-node'
import { matmulModelBytes } from '../src/main/model/matmulKernel'
import { openSession, type SessionOptions } from '../src/main/model/providers'
import { median, timeIt } from './benchTiming'

/**
 * The machine's measured dense peak: FLOP/s of a large square MatMul through onnxruntime (MLAS on the
 * CPU), in this process, opened by the engine's own openSession with the engine's provider, thread
 * count and session options. A network can approach it only where it is dense arithmetic; the FLOP
 * limit of a network is its graph's FLOPs over this.
 *
 * One product of 1024² by 1024² is 2.1 GFLOP: tens of milliseconds on two cores, long enough that
 * onnxruntime's per-call overhead is noise and its packing buffers fit the caches as a large product's
 * do. Its time is taken as a run of its own and, in bench:engine, in alternation with inference, so a
 * slow spell on a shared machine falls on both.
 */
export interface PeakMatmul {
  provider: string
  /** FLOPs of one run */
  flops: number
  run: () => Promise<unknown>
  close: () => Promise<void>
}

export async function openPeakMatmul(options: SessionOptions, size = 1024): Promise<PeakMatmul> {
  const { session, provider } = await openSession(matmulModelBytes(), options, 'the peak-FLOP MatMul')
  const w = new ort.Tensor(
    'float32',
    Float32Array.from({ length: size * size }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5),
    [size, size],
  )
  const a = new ort.Tensor(
    'float32',
    Float32Array.from({ length: size * size }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5),
    [size, size],
  )
  const run = () => session.run({ W: w, A: a })
  await run() // warm-up: packing buffers, thread pool start
  return { provider, flops: 2 * size ** 3, run, close: () => session.release() }
}

/**
 * Peak FLOP/s over `rounds` rounds of `runs` runs: p50 of every run, and the best run (the figure the
 * limit uses: load on the machine only ever slows a run down, so the fastest is closest to the peak).
 * `cpu` is FLOPs per CPU-second of the process times the thread count: what the cores do while busy,
 * which other load barely moves.
 */
export async function measurePeakFlops(
  options: SessionOptions,
  size = 1024,
  runs = 8,
  rounds = 3,
): Promise<{ p50: number; best: number; cpu: number; provider: string; size: number; runs: number }> {
  const peak = await openPeakMatmul(options, size)
  try {
    const times: number[] = []
    const cpuStart = process.cpuUsage()
    for (let r = 0; r < rounds; r++) times.push(...(await timeIt(runs, peak.run)))
    const used = process.cpuUsage(cpuStart)
    const cpuSeconds = (used.user + used.system) / 1e6
    const threads = Math.max(1, options.threads ?? 1)
    return {
      p50: peak.flops / (median(times) / 1000),
      best: peak.flops / (Math.min(...times) / 1000),
      cpu: (peak.flops * times.length * threads) / cpuSeconds,
      provider: peak.provider,
      size,
      runs: times.length,
    }
  } finally {
    await peak.close()
  }
}
