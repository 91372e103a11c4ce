/** Timing helpers shared by the benches: repeats, percentiles, and rows timed in alternation. */

export function percentile(times: readonly number[], p: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]
}

export const median = (times: readonly number[]) => percentile(times, 0.5)
export const round = (x: number) => Math.round(x * 100) / 100

export async function timeIt(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await fn()
    times.push(performance.now() - start)
  }
  return times
}

/**
 * Times several rows in alternation (a, b, a, b, …) so that on a shared, noisy machine a slow spell
 * falls on every row alike and the ratio of their medians stays meaningful. Also records the CPU time
 * of the whole process (every ORT thread included), which other load on the machine barely changes.
 */
export async function timeAlternating<K extends string>(
  runs: number,
  rows: Record<K, () => Promise<unknown>>,
): Promise<Record<K, { wall: number[]; cpu: number[] }>> {
  const keys = Object.keys(rows) as K[]
  const times = Object.fromEntries(keys.map((k) => [k, { wall: [] as number[], cpu: [] as number[] }])) as Record<
    K,
    { wall: number[]; cpu: number[] }
  >
  for (let i = 0; i < runs; i++) {
    for (const key of keys) {
      const cpu = process.cpuUsage()
      const start = performance.now()
      await rows[key]()
      times[key].wall.push(performance.now() - start)
      const used = process.cpuUsage(cpu)
      times[key].cpu.push((used.user + used.system) / 1000)
    }
  }
  return times
}
