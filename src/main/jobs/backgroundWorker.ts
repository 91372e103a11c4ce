/**
 * Worker-thread entry of background analysis: its own database connection and inference engine,
 * draining the persistent queue (the open case first) until it is empty, then waiting a while for
 * more before it exits. A batch's results and its queue rows commit in one short transaction. Its
 * model inputs are the ones the import kept (cases/modelInputCache.ts); an image without one decodes
 * in a process of its own (backgroundDecoder.ts, started on the first such image) while the model
 * runs here; both run below the UI's priority (this thread on Linux only: backgroundPriority.ts).
 */
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { BACKGROUND_BATCH, BACKGROUND_BATCH_THREADED, drainQueue } from '../analysis/backgroundRunner'
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

/**
 * onnxruntime's threads for background analysis: every core, in this one worker. The import keeps
 * each image's model input (cases/modelInputCache.ts), so a case costs the model's time and little
 * else, and the cores go to the model: bench:memory, 400 images, one worker on 1 thread in batches
 * of 4 analysed them in 18 s, on 2 threads in batches of 6 in 13 s (2 shared, busy cores). A
 * second worker thread with a session of its own would stall less when another program takes a
 * core (scripts/benchInferenceThreads.ts) but cost about 130 MB (bench:memory peaked at 466 MB
 * against 338 MB: its heap, its model registry and session, its malloc arenas), over the 400 MB a
 * workstation allows. The threads run below the UI's priority (the pool is made after this thread
 * is lowered, so it inherits that) and do not spin between kernels (providers.ts), so the main
 * process and the renderer get a core the moment they want one. Images that must be decoded (no
 * kept input: a PACS retrieval, an older data folder, another model) decode in the decoder process,
 * which then shares the cores with the model.
 */
function backgroundThreads(): number {
  return Math.max(1, availableParallelism())
}

async function run(): Promise<void> {
  const store = CaseStore.open(databasePath(input.dataDir))
  // The worker's first case (the open case, or a fresh import's first) runs on one thread at normal
  // priority, decoded here if need be: at nice 10 beside a busy import the model's load and that
  // first heatmap took seconds. onnxruntime makes no pool on one thread, so nothing made then keeps
  // the normal priority. Then this thread is lowered and the rest runs on every core: that session
  // is made after the lowering, so its pool inherits the lowered priority (backgroundPriority.ts).
  const firstEngine = new InferenceEngine({ threads: 1 })
  const threads = backgroundThreads()
  const engines: { rest: InferenceEngine | null; firstClosed: Promise<void> | null } = { rest: null, firstClosed: null }
  // Started when an image must be decoded after all: with the import's kept inputs, most runs never need it.
  const started: { decoder: DecoderProcess | null } = { decoder: null }
  const decoderProcess = () => (started.decoder ??= new DecoderProcess())
  try {
    const registry = new ModelRegistry(store, join(input.dataDir, 'models'))
    let lowered = false
    let firstHere = true
    const decoder: ImageDecoder = {
      decode(image, spec) {
        if (!firstHere) return decoderProcess().decode(image, spec)
        firstHere = false
        return inProcessDecoder.decode(image, spec)
      },
      pace: (inFlight) => started.decoder?.pace(inFlight),
    }
    // Its engine is swapped after the first batch (afterFirst): drainQueue reads it batch by batch.
    const deps = { store, registry, engine: firstEngine, decoder }
    const afterFirst = () => {
      if (!lowered) lowered = lowerThreadPriority()
      if (threads > 1 && !engines.rest) {
        engines.rest = new InferenceEngine({ threads })
        deps.engine = engines.rest
        engines.firstClosed = firstEngine.close()
      }
    }
    const first = registry.list()[0]
    // A model that cannot load is not this step's to report: its cases fail with the reason.
    if (first) await firstEngine.session(first.pkg).catch(() => undefined)
    log().info('background analysis started', { threads })
    post({ type: 'ready' })
    while (!stopping) {
      await drainQueue(
        deps,
        { focus: () => focus, halted: () => stopping },
        {
          onProgress: () => {
            afterFirst()
            post({ type: 'progress' })
          },
          onResults: (results) => post({ type: 'results', results }),
        },
        threads > 1 ? BACKGROUND_BATCH_THREADED : BACKGROUND_BATCH,
      )
      afterFirst()
      if (stopping) break
      woken = false
      post({ type: 'idle' })
      if (!(await idle(input.idleMs))) break
    }
  } finally {
    await started.decoder?.close()
    await (engines.firstClosed ?? firstEngine.close())
    await engines.rest?.close()
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
