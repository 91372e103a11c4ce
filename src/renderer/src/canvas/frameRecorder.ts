/**
 * Frame pacing during one interaction (a drag, a pan): requestAnimationFrame timestamps from
 * pointer-down to pointer-up. The intervals are what the user feels; the e2e test reads them
 * through window.__cxrViewer.frameStats().
 */
export interface FrameStats {
  frames: number
  p50ms: number
  p95ms: number
}

let stamps: number[] = []
let last: number[] = []
let handle = 0

function tick(time: number): void {
  stamps.push(time)
  handle = requestAnimationFrame(tick)
}

export function startFrames(): void {
  cancelAnimationFrame(handle)
  stamps = []
  handle = requestAnimationFrame(tick)
}

export function stopFrames(): void {
  cancelAnimationFrame(handle)
  if (stamps.length > 1) last = stamps
  stamps = []
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
}

export function frameStats(): FrameStats {
  const intervals = last
    .slice(1)
    .map((t, i) => t - last[i]!)
    .sort((a, b) => a - b)
  return { frames: last.length, p50ms: percentile(intervals, 0.5), p95ms: percentile(intervals, 0.95) }
}
