/**
 * Bounds on memory that no JS heap limit sees. libvips keeps a cache of recent operations and their
 * pixel buffers (up to 50 MB and 100 operations by default) in case the same image is processed
 * again; here every image is decoded once per use (import, model input, an overlay export), so the
 * cache only holds memory: it is off. The setting is libvips' own, process-wide, so the main thread,
 * the job workers and the background worker all run without it.
 */
import sharp from 'sharp'

let bounded = false

export function boundNativeMemory(): void {
  if (bounded) return
  bounded = true
  sharp.cache(false)
}
