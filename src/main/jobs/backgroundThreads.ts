/** Starts a background worker-thread entry: the bundled file beside this module, else its source through tsx (tests). */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { WORKER_HEAP_LIMITS } from './workerLimits'

export function spawnBackgroundThread(entry: 'backgroundWorker', workerData: unknown): Worker {
  const built = join(__dirname, `${entry}.js`)
  const options = { workerData, resourceLimits: WORKER_HEAP_LIMITS }
  if (existsSync(built)) return new Worker(built, options)
  const source = `require('tsx/cjs'); require(${JSON.stringify(join(__dirname, `${entry}.ts`))})`
  return new Worker(source, { ...options, eval: true })
}
