/**
 * Worker-thread entry for long jobs. It opens its own database connection (WAL lets the UI keep
 * reading) so imports and model runs never block the main thread. What each kind runs is in
 * jobRunners.ts, checked against the job map.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { jobMap } from '../../shared/jobs'
import { ImportCancelledError } from '../cases/nihImporter'
import { reasonOf } from '../cases/failureReason'
import { DataFolder } from '../config/dataFolder'
import { openServices } from '../services/openServices'
import { machinePolicy } from '../config/policy'
import { startLogging } from '../logging/log'
import type { JobInput, ManagerMessage, WorkerMessage } from './jobProtocol'
import { runJob } from './jobRunners'

const input = workerData as JobInput
// The worker's own logger (module state is per thread) appends to the same installation log.
startLogging({ dataDir: input.dataDir, kind: 'job', policy: machinePolicy() })
const controller = new AbortController()
const post = (message: WorkerMessage) => parentPort!.postMessage(message)

parentPort!.on('message', (message: ManagerMessage) => {
  if (message.type === 'cancel') controller.abort()
})

async function run(): Promise<unknown> {
  // The handler validated the request already; a thread boundary is still a boundary.
  const request = jobMap[input.kind].request.parse(input.payload)
  const services = openServices(new DataFolder(input.dataDir), { kind: 'worker' })
  const onProgress = (done: number, total: number, message: string) => post({ type: 'progress', done, total, message })
  try {
    const { health, store, registry } = services
    if (health.state === 'damaged') throw new Error(`The case database is damaged (${health.problems[0]}); restore a backup first`)
    return await runJob(input.kind, request, { store, registry, dataDir: input.dataDir, signal: controller.signal, onProgress })
  } finally {
    await services.close()
  }
}

run().then(
  (result) => post({ type: 'done', result }),
  (error: Error) =>
    post({
      type: 'failed',
      message: reasonOf(error), // never empty: the UI would only have "unknown error" to show
      cancelled: error instanceof ImportCancelledError || controller.signal.aborted,
      partial: error instanceof ImportCancelledError ? error.partial : undefined,
    }),
)
