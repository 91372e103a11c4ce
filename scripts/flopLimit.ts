import * as ort from 'onnxruntime-node'
import { matmulModelBytes } from '../src/main/model/matmulKernel'
import { openSession, type SessionOptions } from '../src/main/model/providers'
import { median, timeIt } from './benchTiming'

/**
 * The machine's measured dense peak: FLOP/s of a large square MatMul through onnxruntime (MLAS on the
 * CPU), in this process, on the provider and thread count the engine uses. A network can approach it
 * only where it is dense arithmetic; the FLOP limit of a network is its graph's FLOPs over this.
 */
export async function measurePeakFlops(
  options: SessionOptions,
  size = 1024,
  runs = 12,
): Promise<{ p50: number; best: number; provider: string }> {
  const { session, provider } = await openSession(matmulModelBytes(), options, 'the peak-FLOP MatMul')
  try {
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
    await session.run({ W: w, A: a }) // warm-up: packing buffers, thread pool start
    const times = await timeIt(runs, () => session.run({ W: w, A: a }))
    const flops = 2 * size ** 3
    return { p50: flops / (median(times) / 1000), best: flops / (Math.min(...times) / 1000), provider }
  } finally {
    await session.release()
  }
}
