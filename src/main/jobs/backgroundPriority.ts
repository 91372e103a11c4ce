/**
 * Background analysis runs below the UI. On Linux a thread has its own nice value and
 * setpriority(PRIO_PROCESS, 0) from a thread changes only that thread, which the threads it creates
 * afterwards inherit (onnxruntime's pool, when it has one): called first thing in the background
 * worker thread, the model and its bookkeeping yield the cores to the main thread and the renderer
 * whenever they want them. On macOS and Windows the same call would lower the whole process, the
 * main thread with it, so in the worker thread it is not made there and the model runs at normal
 * priority. The decoder is a process of its own (backgroundDecoder.ts) and lowers itself on every
 * OS: there the whole process is what should go below the UI.
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
  return platform === 'linux' && lower()
}

/**
 * Lowers a background process (the decoder): on Linux its calling thread and every thread made
 * afterwards, elsewhere the whole process (BACKGROUND_NICE is "below normal" on Windows).
 */
export function lowerProcessPriority(): boolean {
  return lower()
}

function lower(): boolean {
  try {
    if (getPriority(0) < BACKGROUND_NICE) setPriority(0, BACKGROUND_NICE)
    return true
  } catch {
    // Not permitted (a sandbox without setpriority): the work still runs, at normal priority.
    return false
  }
}
