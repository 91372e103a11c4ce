/**
 * How every thread and process of src/main/jobs starts its entry file: the bundled one beside this
 * module (electron-vite writes every entry and chunk into out/main, so whichever entry loaded this,
 * __dirname finds them), else its TypeScript source, compiled by tsx on load (tests and scripts run
 * from source). A packaged app loads a bundled entry from inside app.asar (Electron reads the archive
 * in worker threads since v18), so its requires resolve through the archive's node_modules like the
 * main thread's do. This module imports nothing but Node's own: the decoder's entry loads it before
 * it may start any thread.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { WORKER_HEAP_LIMITS } from './workerLimits'

export type EntryName = 'jobWorker' | 'backgroundWorker' | 'backgroundDecoder' | 'backgroundDecoderLoop'

/** The entry's bundled file when there is one, else its source (to be run through tsx). */
export function entryFile(entry: EntryName): { built: string } | { source: string } {
  const built = join(__dirname, `${entry}.js`)
  return existsSync(built) ? { built } : { source: join(__dirname, `${entry}.ts`) }
}

/** Starts a worker-thread entry with the workers' heap limits (workerLimits.ts). */
export function startWorkerThread(entry: 'jobWorker' | 'backgroundWorker', workerData: unknown): Worker {
  const file = entryFile(entry)
  const options = { workerData, resourceLimits: WORKER_HEAP_LIMITS }
  if ('built' in file) return new Worker(file.built, options)
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(file.source)})`, { ...options, eval: true })
}
