/**
 * Worker-thread entry of background analysis (one of backgroundWorkers(), each claiming its own
 * batches): its own database connection and inference engine, draining the persistent queue (the
 * open case first) until it is empty, then waiting a while for more before it exits. A batch's results and its queue rows commit in one short transaction. Its
 * model inputs are the ones the import kept (cases/modelInputCache.ts); an image without one decodes
 * in a process of its own (backgroundDecoder.ts, started on the first such image) while the model
 * runs here; both run below the UI's priority (this thread on Linux only: backgroundPriority.ts).
 */
import { join } from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { drainQueue } from '../analysis/backgroundRunner'
import { databasePath } from '../config/dataDir'
import { InferenceEngine } from '../model/inferenceEngine'
import { rememberProviderFailuresIn } from '../model/providerMemory'
import { DataFolder } from '../config/dataFolder'
import { ModelRegistry } from '../registry/modelRegistry'
import { CaseStore } from '../store/caseStore'
import { machinePolicy } from '../config/policy'
import { log, startLogging } from '../logging/log'
import { lowerThreadPriority } from './backgroundPriority'
import { DecoderProcess } from './backgroundDecoderClient'
import { inProcessDecoder, type ImageDecoder } from '../analysis/preparedBatch'
import type { BackgroundManagerMessage, BackgroundWorkerInput, BackgroundWorkerMessage } from './backgroundProtocol'

const input = workerData as BackgroundWorkerInput
// The worker's own logger (module state is per thread) appends to the same installation log.
startLogging({ dataDir: input.dataDir, kind: 'job', policy: machinePolicy() })
// Its sessions skip a provider this machine is known to lack, as every openServices thread's do.
rememberProviderFailuresIn(new DataFolder(input.dataDir).providerFailures)
const post = (message: BackgroundWorkerMessage) => parentPort!.postMessage(message)
let focus = input.focus
let stopping = false
let wake: (() => void) | null = null
/** A message that came while no wait was open: the next wait returns at once. */
let woken = false

parentPort!.on('message', (message: BackgroundManagerMessage) => {
  if (message.type === 'focus') focus = message.caseId
  if (message.type === 'stop') stopping = true
  // Any message ends an idle wait: new work, a new open case (it may be pending), or the stop.
  if (wake) wake()
  else woken = true
})

function idle(ms: number): Promise<boolean> {
  if (woken) {
    woken = false
    return Promise.resolve(true)
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      wake = null
      resolve(false)
    }, ms)
    wake = () => {
      clearTimeout(timer)
      wake = null
      resolve(true)
    }
  })
}

async function run(): Promise<void> {
  const store = CaseStore.open(databasePath(input.dataDir))
  const { threads } = input
  const engine = new InferenceEngine({ threads })
  // Started when an image must be decoded after all: with the import's kept inputs, most runs never need it.
  const started: { decoder: DecoderProcess | null } = { decoder: null }
  const decoderProcess = () => (started.decoder ??= new DecoderProcess())
  try {
    const registry = new ModelRegistry(store, join(input.dataDir, 'models'))
    // The first worker of a run, on one thread, loads the model and analyses its first case (the
    // open case, or a fresh import's first) at normal priority, decoded here if need be, and only
    // then lowers this thread: at nice 10 beside a busy import the model's load and that first
    // heatmap took seconds. onnxruntime makes no pool on one thread, so nothing made before keeps
    // the normal priority. With more threads its pool must inherit the lowered priority, and any
    // other worker has no first case to hurry: lowered before the model loads.
    const lowerFirst = !input.firstAtNormalPriority || threads > 1
    let lowered = lowerFirst && lowerThreadPriority()
    const lowerNow = () => {
      if (!lowered) lowered = lowerThreadPriority()
    }
    let firstHere = !lowerFirst
    const decode: ImageDecoder = {
      decode(image, spec) {
        if (!firstHere) return decoderProcess().decode(image, spec)
        firstHere = false
        return inProcessDecoder.decode(image, spec)
      },
      pace: (inFlight) => started.decoder?.pace(inFlight),
    }
    const first = registry.list()[0]
    // A model that cannot load is not this step's to report: its cases fail with the reason.
    if (first) await engine.session(first.pkg).catch(() => undefined)
    log().info('background analysis started', { threads, lowered })
    post({ type: 'ready' })
    while (!stopping) {
      await drainQueue(
        { store, registry, engine, decoder: decode },
        { focus: () => focus, halted: () => stopping },
        {
          onProgress: () => {
            lowerNow()
            post({ type: 'progress' })
          },
          onResults: (results) => post({ type: 'results', results }),
        },
      )
      lowerNow()
      if (stopping) break
      woken = false
      post({ type: 'idle' })
      if (!(await idle(input.idleMs))) break
    }
  } finally {
    await started.decoder?.close()
    await engine.close()
    store.close()
  }
}

run().then(
  () => process.exit(0),
  (error: Error) => {
    post({ type: 'error', message: error.message || String(error) })
    process.exit(1)
  },
)
