/**
 * `npx tsx scripts/benchInferenceThreads.ts [-- --cases N]`: how background analysis should use the
 * cores for the model alone (its inputs read from the import's kept files, no decode beside it): the
 * reference model over N cases (default 192) of a fixed input, on CPU, as
 * - one session on 1 thread, batches of 4 (the worker before), and of 8;
 * - one session on 2 threads (onnxruntime's intra-op pool), batches of 4, 6 and 8;
 * - two sessions of 1 thread in two worker threads, each over half the cases, batches of 4.
 * Prints one JSON line per layout: cases_per_s (wall) and cpu_ms_per_case (this process, every
 * thread). On a shared machine read the CPU figure too: the wall time moves with the other load.
 * Two workers stall least when other programs take cores, but each worker of the app costs about
 * 130 MB (bench:memory), so the app runs one worker on every core (jobs/backgroundWorker.ts).
 */
import { parseArgs } from 'node:util'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { resolve } from 'node:path'
import { packBatch } from '../src/main/model/batchedInference'
import { InferenceEngine } from '../src/main/model/inferenceEngine'
import { loadModelPackage } from '../src/main/model/modelPackage'

const MODEL_DIR = resolve(__dirname, '../resources/models/cxr-mobilenet-v1')

/** Runs `cases` cases in batches on one engine; resolves when done (the session is warm before). */
async function runCases(threads: number, batch: number, cases: number): Promise<void> {
  const pkg = loadModelPackage(MODEL_DIR)
  const { width, height, channels } = pkg.manifest.input
  const size = (channels === 'gray' ? 1 : 3) * width * height
  const one = Float32Array.from({ length: size }, (_, i) => Math.sin(i / 97))
  const input = packBatch(Array.from({ length: batch }, () => one))
  const engine = new InferenceEngine({ providers: ['cpu'], threads })
  try {
    await engine.run(pkg, input, batch)
    parentPort?.postMessage('warm')
    if (!isMainThread) await new Promise((go) => parentPort!.once('message', go))
    for (let done = 0; done < cases; done += batch) await engine.run(pkg, input, batch)
  } finally {
    await engine.close()
  }
}

async function inThisThread(threads: number, batch: number, cases: number) {
  // Warm-up outside the figures: a session per layout, as a running worker has it.
  const since = process.cpuUsage()
  const started = performance.now()
  await runCases(threads, batch, cases)
  return { wall: performance.now() - started, cpu: process.cpuUsage(since) }
}

async function twoWorkers(batch: number, cases: number) {
  // This file again, compiled by tsx in each thread, as workerEntry.ts starts a source entry.
  const source = `require('tsx/cjs'); require(${JSON.stringify(__filename)})`
  const workers = [0, 1].map(() => new Worker(source, { eval: true, workerData: { batch, cases: cases / 2 } }))
  await Promise.all(workers.map((w) => new Promise((warm) => w.once('message', warm))))
  const since = process.cpuUsage()
  const started = performance.now()
  const exited = workers.map((w) => new Promise((done) => w.once('exit', done)))
  for (const w of workers) w.postMessage('go')
  await Promise.all(exited)
  return { wall: performance.now() - started, cpu: process.cpuUsage(since) }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { cases: { type: 'string', default: '240' } } })
  const cases = Math.max(48, Math.floor(Number(values.cases) / 48) * 48)
  const print = (layout: string, r: { wall: number; cpu: NodeJS.CpuUsage }) =>
    console.log(
      JSON.stringify({
        layout,
        cases,
        cases_per_s: Math.round((cases / r.wall) * 10000) / 10,
        cpu_ms_per_case: Math.round(((r.cpu.user + r.cpu.system) / 1000 / cases) * 100) / 100,
      }),
    )
  print('1 session, 1 thread, batch 4', await inThisThread(1, 4, cases))
  print('1 session, 1 thread, batch 8', await inThisThread(1, 8, cases))
  print('1 session, 2 threads, batch 4', await inThisThread(2, 4, cases))
  print('1 session, 2 threads, batch 6', await inThisThread(2, 6, cases))
  print('1 session, 2 threads, batch 8', await inThisThread(2, 8, cases))
  print('2 sessions of 1 thread in 2 worker threads, batch 4', await twoWorkers(4, cases))
}

if (isMainThread) {
  main().catch((error: Error) => {
    console.error(`benchInferenceThreads: ${error.stack ?? error.message}`)
    process.exit(1)
  })
} else {
  const { batch, cases } = workerData as { batch: number; cases: number }
  void runCases(1, batch, cases).then(() => process.exit(0))
}
