/**
 * Worker-thread entry for long jobs. It opens its own database connection (WAL lets the UI keep
 * reading) so imports never block the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { importNih, ImportCancelledError } from '../cases/nihImporter'
import { CaseStore } from '../store/caseStore'
import type { ImportRequest } from '../../shared/domain'
import type { JobInput, ManagerMessage, WorkerMessage } from './jobProtocol'

const input = workerData as JobInput
const controller = new AbortController()
const post = (message: WorkerMessage) => parentPort!.postMessage(message)

parentPort!.on('message', (message: ManagerMessage) => {
  if (message.type === 'cancel') controller.abort()
})

async function run(): Promise<unknown> {
  const store = CaseStore.open(input.dbPath)
  try {
    switch (input.kind) {
      case 'import':
        return await importNih(store, input.payload as ImportRequest, {
          signal: controller.signal,
          actor: 'workstation',
          onProgress: (done, total, message) => post({ type: 'progress', done, total, message }),
        })
    }
  } finally {
    store.close()
  }
}

run().then(
  (result) => post({ type: 'done', result }),
  (error: Error) =>
    post({
      type: 'failed',
      message: error.message,
      cancelled: error instanceof ImportCancelledError,
      partial: error instanceof ImportCancelledError ? error.partial : undefined,
    }),
)
