/**
 * What each job kind runs inside the worker. `satisfies` ties the table to the job map in
 * src/shared/jobs.ts: a kind without a runner, or a runner returning another result type, does
 * not compile.
 */
import type { JobKind, JobRequestOf, JobResultOf } from '../../shared/jobs'
import { analyzeCases } from '../analysis/analysisService'
import { importNih } from '../cases/nihImporter'
import { importDicom } from '../dicom/dicomImporter'
import { InferenceEngine } from '../model/inferenceEngine'
import type { ModelRegistry } from '../registry/modelRegistry'
import type { CaseStore } from '../store/caseStore'
import { PacsConnections } from '../pacs/pacsConnections'
import { pullStudies } from '../pacs/pacsPull'
import { fineTune } from '../training/fineTune'
import { fineTuneRequestOf } from '../training/trainingRequest'
import { DEFAULT_TRAIN_OPTIONS } from '../training/trainLoop'

export interface JobContext {
  store: CaseStore
  registry: ModelRegistry
  dataDir: string
  signal: AbortSignal
  onProgress: (done: number, total: number, message: string) => void
}

type Runner<K extends JobKind> = (request: JobRequestOf<K>, context: JobContext) => Promise<JobResultOf<K>>

/** A model run opens its own engine (sessions are per thread) and always closes it. */
async function withEngine<T>(use: (engine: InferenceEngine) => Promise<T>): Promise<T> {
  const engine = new InferenceEngine()
  try {
    return await use(engine)
  } finally {
    await engine.close()
  }
}

export const jobRunners = {
  import: (request, { store, signal, onProgress }) => importNih(store, request, { signal, actor: 'workstation', onProgress }),
  // The pipeline's own progress message; Cancel reaches the DICOM import through the signal.
  importDicom: (request, { store, dataDir, signal, onProgress }) =>
    importDicom(store, { dicomDir: request.dicomDir, dataDir }, { signal, actor: 'workstation', onProgress }),
  // The worker opens the connection's secret itself: it never crosses the thread boundary in a request.
  pacsPull: (request, { store, dataDir, signal, onProgress }) =>
    pullStudies(store, dataDir, new PacsConnections(store, dataDir).client(request.pacs), request, {
      signal,
      actor: 'workstation',
      onProgress,
    }),
  analyze: (request, { store, registry, signal, onProgress }) =>
    withEngine((engine) => analyzeCases({ store, registry, engine }, request, { signal, onProgress })),
  train: (request, { store, registry, dataDir, signal, onProgress }) =>
    withEngine((engine) => {
      const epochs = request.epochs ?? DEFAULT_TRAIN_OPTIONS.maxEpochs
      return fineTune({ store, registry, engine, dataDir }, fineTuneRequestOf(request), {
        signal,
        onProgress: (message) => onProgress(0, 0, message),
        onEpoch: (r) =>
          onProgress(
            r.epoch,
            epochs,
            `${r.fold ? `fold ${r.fold}, ` : ''}epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, val macro AUROC ${r.valMacroAuroc?.toFixed(3) ?? '–'}`,
          ),
      })
    }),
} satisfies { [K in JobKind]: Runner<K> }

/** Looks the kind's runner up with its request type kept (a plain index would widen it to a union). */
export function runJob<K extends JobKind>(kind: K, request: JobRequestOf<K>, context: JobContext): Promise<JobResultOf<K>> {
  const runner = jobRunners[kind] as Runner<K>
  return runner(request, context)
}
