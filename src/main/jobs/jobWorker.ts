/**
 * Worker-thread entry for long jobs. It opens its own database connection (WAL lets the UI keep
 * reading) so imports and model runs never block the main thread.
 */
import { join } from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { importNih, ImportCancelledError } from '../cases/nihImporter'
import { reasonOf } from '../cases/failureReason'
import { databasePath } from '../config/dataDir'
import { importDicom } from '../dicom/dicomImporter'
import { analyzeCases, type AnalyzeRequest } from '../analysis/analysisService'
import { InferenceEngine } from '../model/inferenceEngine'
import { ModelRegistry } from '../registry/modelRegistry'
import { CaseStore } from '../store/caseStore'
import { fineTune } from '../training/fineTune'
import { DEFAULT_TRAIN_OPTIONS } from '../training/trainLoop'
import type { ImportRequest, TrainingRequest } from '../../shared/domain'
import { machinePolicy } from '../config/policy'
import { startLogging } from '../logging/log'
import type { JobInput, ManagerMessage, WorkerMessage } from './jobProtocol'

const input = workerData as JobInput
// The worker's own logger (module state is per thread) appends to the same installation log.
startLogging({ dataDir: input.dataDir, kind: 'job', policy: machinePolicy() })
const controller = new AbortController()
const post = (message: WorkerMessage) => parentPort!.postMessage(message)

parentPort!.on('message', (message: ManagerMessage) => {
  if (message.type === 'cancel') controller.abort()
})

async function run(): Promise<unknown> {
  const store = CaseStore.open(databasePath(input.dataDir))
  const onProgress = (done: number, total: number, message: string) => post({ type: 'progress', done, total, message })
  try {
    switch (input.kind) {
      case 'import':
        return await importNih(store, input.payload as ImportRequest, { signal: controller.signal, actor: 'workstation', onProgress })
      case 'importDicom':
        return await importDicom(store, { dicomDir: (input.payload as { dicomDir: string }).dicomDir, dataDir: input.dataDir }, { actor: 'workstation', onProgress: (done, total) => onProgress(done, total, `${done} of ${total} files`) })
      case 'train': {
        const engine = new InferenceEngine()
        try {
          const registry = new ModelRegistry(store, join(input.dataDir, 'models'))
          const p = input.payload as TrainingRequest
          const epochs = p.epochs ?? DEFAULT_TRAIN_OPTIONS.maxEpochs
          const options = { ...(p.epochs ? { maxEpochs: p.epochs } : {}), ...(p.loss ? { loss: p.loss } : {}), ...(p.balance ? { balance: p.balance } : {}) }
          return await fineTune({ store, registry, engine, dataDir: input.dataDir }, { model: p.model, version: p.version, layers: p.layers ?? 'head', folds: p.folds, options, fresh: p.fresh }, {
            signal: controller.signal,
            onProgress: (message) => onProgress(0, 0, message),
            onEpoch: (r) => onProgress(r.epoch, epochs, `${r.fold ? `fold ${r.fold}, ` : ''}epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, val macro AUROC ${r.valMacroAuroc?.toFixed(3) ?? '–'}`),
          })
        } finally {
          await engine.close()
        }
      }
      case 'analyze': {
        const engine = new InferenceEngine()
        try {
          const registry = new ModelRegistry(store, join(input.dataDir, 'models'))
          return await analyzeCases({ store, registry, engine }, input.payload as AnalyzeRequest, { signal: controller.signal, onProgress })
        } finally {
          await engine.close()
        }
      }
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
      message: reasonOf(error), // never empty: the UI would only have "unknown error" to show
      cancelled: error instanceof ImportCancelledError || controller.signal.aborted,
      partial: error instanceof ImportCancelledError ? error.partial : undefined,
    }),
)
