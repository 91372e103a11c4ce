/**
 * CXR_LENS_MEMORY_TRACE=<ms>: browser mode and the app's main process print one JSON line on stderr
 * per interval with the process's memory, so `npm run bench:memory` (and anyone chasing a leak on a
 * workstation) sees where it goes without a debugger: rss is the whole process (the job and
 * background worker threads, libvips, onnxruntime and SQLite included); the heap figures are the
 * main thread's V8 heap; external and arrayBuffers are memory V8 objects hold outside that heap
 * (image bytes, tensors).
 */
export const MEMORY_TRACE_ENV = 'CXR_LENS_MEMORY_TRACE'
const MIN_MS = 20
const MAX_MS = 60_000

export interface MemorySample {
  at: number
  rss: number
  heapUsed: number
  heapTotal: number
  external: number
  arrayBuffers: number
}

/** The line format: `{"memoryTrace": MemorySample}`. */
export function memoryTraceLine(sample: MemorySample): string {
  return `${JSON.stringify({ memoryTrace: sample })}\n`
}

/** Reads a trace line back (the bench); null for any other line. */
export function parseMemoryTraceLine(line: string): MemorySample | null {
  if (!line.startsWith('{"memoryTrace":')) return null
  try {
    const { memoryTrace } = JSON.parse(line) as { memoryTrace: MemorySample }
    return typeof memoryTrace?.rss === 'number' ? memoryTrace : null
  } catch {
    return null
  }
}

/**
 * Starts the trace when the variable asks for it; returns a stop function, or null when off. A
 * value that is not a whole number of milliseconds in range is refused by name (on stderr), and the
 * process goes on without a trace.
 */
export function startMemoryTrace(
  env: NodeJS.ProcessEnv = process.env,
  write: (line: string) => void = (line) => void process.stderr.write(line),
): (() => void) | null {
  const raw = env[MEMORY_TRACE_ENV]
  if (raw === undefined || raw === '') return null
  const ms = Number(raw)
  if (!Number.isInteger(ms) || ms < MIN_MS || ms > MAX_MS) {
    write(`${MEMORY_TRACE_ENV}=${JSON.stringify(raw)} is not a whole number of milliseconds from ${MIN_MS} to ${MAX_MS}; no memory trace\n`)
    return null
  }
  const sample = () => {
    const m = process.memoryUsage()
    write(
      memoryTraceLine({
        at: Date.now(),
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
      }),
    )
  }
  sample()
  const timer = setInterval(sample, ms)
  timer.unref()
  return () => clearInterval(timer)
}
