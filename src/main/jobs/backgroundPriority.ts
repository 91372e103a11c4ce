/**
 * Background analysis runs below the UI. On Linux a thread has its own nice value and
 * setpriority(PRIO_PROCESS, 0) from a thread changes only that thread, which the threads it creates
 * afterwards inherit (onnxruntime's pool, when it has one): called first thing in a background worker
 * thread, the model and its bookkeeping yield the cores to the main thread and the renderer whenever
 * they want them. On macOS and Windows the same call would lower the whole process, the main thread
 * with it, so there it is not made and background work runs at normal priority. libvips decodes on
 * libuv's shared pool, whose threads serve the main thread too, so they keep their priority; the
 * decoder keeps at most one image in flight while the model runs (see backgroundDecoder.ts).
 */
import { getPriority, setPriority } from 'node:os'

/** The nice value of background threads: CFS then gives a nice-0 thread about 9× their share of a busy core. */
export const BACKGROUND_NICE = 10

/**
 * Lowers the calling thread's priority where that touches only the thread (never raises it: a
 * process started under `nice -n 19` stays there); returns whether the thread now runs at
 * BACKGROUND_NICE or lower.
 */
export function lowerThreadPriority(platform: NodeJS.Platform = process.platform): boolean {
  if (platform !== 'linux') return false
  try {
    const current = getPriority(0)
    if (current < BACKGROUND_NICE) setPriority(0, BACKGROUND_NICE)
    return true
  } catch {
    // Not permitted (a sandbox without setpriority): the work still runs, at normal priority.
    return false
  }
}
