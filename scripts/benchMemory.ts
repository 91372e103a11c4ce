/**
 * `npm run bench:memory [-- --count N] [--images DIR] [--first-start]`: peak memory of browser mode (the same
 * services as the app's main process) across what a workstation does on a full set: browser mode is
 * started as a child process with the reference model, and over its API socket, as the renderer does,
 * the bench imports the NIH images (default all 1,716 of images-256, with labels and boxes), waits
 * until background analysis (probabilities and every finding's Grad-CAM) has analysed them all, then
 * opens 50 cases (detail, image, thumbnail, predictions, the top finding's map, the focus message).
 *
 * The child's RSS is read from /proc (VmRSS every 100 ms, and VmHWM: the kernel's own peak, so a spike
 * between samples still counts) and its own view of its memory from CXR_LENS_MEMORY_TRACE lines on
 * stderr (main-thread V8 heap, external, arrayBuffers). Job and background workers are threads of that
 * process, inside its RSS; any child process it started would be listed under worker_processes.
 * A workstation is measured as it runs from its second start on: the providers this machine lacks
 * (a WebGPU with no adapter) are already remembered in the data folder (model/providerMemory.ts), as
 * the first start leaves them, so the ~65 MB a failed WebGPU try leaves resident is not in the figure.
 * The bench walks the chain once itself, on the fresh folder, before browser mode starts;
 * `--first-start` skips that, measuring the very first start. `provider_memory` says which it was and
 * what was remembered; `session_options` gives the engine's (spinning, CPU arena).
 *
 * Prints one JSON line.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import { decodeWire } from '../src/shared/wireCodec'
import { MEMORY_TRACE_ENV, parseMemoryTraceLine, type MemorySample } from '../src/main/diagnostics/memoryTrace'
import { DataFolder } from '../src/main/config/dataFolder'
import { matmulModelBytes } from '../src/main/model/matmulKernel'
import { ProviderMemory } from '../src/main/model/providerMemory'
import { openSession, SESSION_DEFAULTS } from '../src/main/model/providers'

const NIH = resolve('../shared/data/nih')
const LIMIT_MB = 400
const OPENS = 50
const MB = 1024 * 1024
const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10

const { values } = parseArgs({ options: { count: { type: 'string' }, images: { type: 'string' }, 'first-start': { type: 'boolean' } } })
const firstStart = values['first-start'] ?? false
const imagesDir = resolve(values.images ?? join(NIH, 'images-256'))
const available = existsSync(imagesDir) ? readdirSync(imagesDir).filter((n) => /\.(png|jpe?g)$/i.test(n)).length : 0
const count = values.count === undefined ? available : Number(values.count)
if (!Number.isInteger(count) || count < 1) throw new Error(`--count must be a whole number of images ≥ 1, got ${values.count}`)
if (available < count) throw new Error(`${imagesDir} holds ${available} images; --count ${count} asks for more`)

/** VmRSS and VmHWM of a process in bytes (Linux /proc), or null once it has gone. */
function procMemory(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') }
  } catch {
    return null
  }
}

/** Processes started by `pid` (its threads' children included). */
function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    )
  } catch {
    return []
  }
}

type Phase = 'start' | 'import' | 'analysis' | 'open'

class Sampler {
  phase: Phase = 'start'
  readonly peakRss: Record<Phase, number> = { start: 0, import: 0, analysis: 0, open: 0 }
  readonly seconds: Partial<Record<Phase, number>> = {}
  peakTrace: MemorySample | null = null
  maxHeapUsed = 0
  maxExternal = 0
  maxArrayBuffers = 0
  hwm = 0
  workerPids = new Set<number>()
  workersPeakRss = 0
  private timer: NodeJS.Timeout | null = null

  constructor(private readonly pid: number) {}

  start(): void {
    this.timer = setInterval(() => this.sample(), 100)
  }

  sample(): void {
    const own = procMemory(this.pid)
    if (!own) return
    this.hwm = Math.max(this.hwm, own.hwm)
    this.peakRss[this.phase] = Math.max(this.peakRss[this.phase], own.rss)
    let workers = 0
    for (const child of childPids(this.pid)) {
      this.workerPids.add(child)
      workers += procMemory(child)?.rss ?? 0
    }
    this.workersPeakRss = Math.max(this.workersPeakRss, workers)
  }

  trace(sample: MemorySample): void {
    if (!this.peakTrace || sample.rss > this.peakTrace.rss) this.peakTrace = sample
    this.maxHeapUsed = Math.max(this.maxHeapUsed, sample.heapUsed)
    this.maxExternal = Math.max(this.maxExternal, sample.external)
    this.maxArrayBuffers = Math.max(this.maxArrayBuffers, sample.arrayBuffers)
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
  }
}

/** Starts browser mode on a fresh data folder; resolves its URL once it prints it. */
function startBrowserMode(dataDir: string, sampler: (pid: number) => Sampler): Promise<{ child: ChildProcess; url: URL; s: Sampler }> {
  const web = join(__dirname, 'web.js')
  if (!existsSync(web)) throw new Error(`browser mode is not built (${web}); run npm run build`)
  const child = spawn(process.execPath, [web, '--data-dir', dataDir], {
    env: { ...process.env, [MEMORY_TRACE_ENV]: '100' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const s = sampler(child.pid!)
  let err = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (chunk: string) => {
    err += chunk
    const lines = err.split('\n')
    err = lines.pop() ?? ''
    for (const line of lines) {
      const sample = parseMemoryTraceLine(line)
      if (sample) s.trace(sample)
    }
  })
  return new Promise((resolveStart, reject) => {
    let out = ''
    child.stdout!.setEncoding('utf8')
    child.stdout!.on('data', (chunk: string) => {
      out += chunk
      const url = /open:\s+(\S+)/.exec(out)?.[1]
      if (url) resolveStart({ child, url: new URL(url), s })
    })
    child.once('exit', (code) => reject(new Error(`browser mode exited (${code}) before it was ready: ${out}${err}`)))
  })
}

/** The renderer's side of the API socket: requests answered by id, events to listeners. */
class ApiClient {
  private next = 1
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; channel: string }>()
  private readonly listeners: Array<(event: string, payload: unknown) => void> = []

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      const message = decodeWire(isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString('utf8')) as {
        id?: number
        envelope?: { ok: boolean; data?: unknown; error?: { message: string } }
        event?: string
        payload?: unknown
      }
      if (message.event) for (const listen of this.listeners) listen(message.event, message.payload)
      const waiting = message.id === undefined ? undefined : this.pending.get(message.id)
      if (!waiting || !message.envelope) return
      this.pending.delete(message.id!)
      if (message.envelope.ok) waiting.resolve(message.envelope.data)
      else waiting.reject(new Error(`${waiting.channel}: ${message.envelope.error?.message}`))
    })
  }

  static connect(url: URL): Promise<ApiClient> {
    const socket = new WebSocket(`ws://${url.host}/api?token=${encodeURIComponent(url.searchParams.get('token') ?? '')}`, {
      headers: { Origin: `http://${url.host}` },
      maxPayload: 64 * MB,
    })
    return new Promise((resolveOpen, reject) => {
      socket.once('error', reject)
      socket.once('open', () => resolveOpen(new ApiClient(socket)))
    })
  }

  call<T>(channel: string, request: unknown): Promise<T> {
    const id = this.next++
    return new Promise<T>((resolveCall, reject) => {
      this.pending.set(id, { resolve: resolveCall as (v: unknown) => void, reject, channel })
      this.socket.send(JSON.stringify({ id, channel, request }))
    })
  }

  on(listen: (event: string, payload: unknown) => void): void {
    this.listeners.push(listen)
  }

  close(): void {
    this.socket.close()
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until(what: string, predicate: () => Promise<boolean>, minutes = 60): Promise<void> {
  const deadline = Date.now() + minutes * 60_000
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what} did not finish within ${minutes} minutes`)
    await sleep(250)
  }
}

interface Status {
  pending: number
  running: number
  done: number
  failed: number
  target: { model: string; version: string; method: string } | null
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'cxr-bench-memory-'))
  let child: ChildProcess | null = null
  try {
    // A subset is a folder of links to the first `count` images (the labels CSV covers all of them).
    let images = imagesDir
    if (count < available) {
      images = join(work, 'images')
      mkdirSync(images)
      for (const name of readdirSync(imagesDir).sort().slice(0, count)) symlinkSync(join(imagesDir, name), join(images, name))
    }
    const dataDir = join(work, 'data')
    const providerMemory = new ProviderMemory(new DataFolder(dataDir).providerFailures)
    if (!firstStart) {
      // what the first start of a workstation leaves behind: this machine's failed providers remembered
      const probe = await openSession(matmulModelBytes(), { memory: providerMemory, threads: 1 }, 'the provider probe')
      await probe.session.release()
    }
    const started = await startBrowserMode(dataDir, (pid) => new Sampler(pid))
    child = started.child
    const s = started.s
    s.start()
    const api = await ApiClient.connect(started.url)
    const finished = new Map<string, { state: string; error?: string }>()
    api.on((event, payload) => {
      if (event === 'job:finished') {
        const job = payload as { jobId: string; state: string; error?: string }
        finished.set(job.jobId, job)
      }
    })
    await sleep(500)
    s.sample()

    s.phase = 'import'
    let t = performance.now()
    const { jobId } = await api.call<{ jobId: string }>('import:start', {
      imagesDir: images,
      labelsCsv: join(NIH, 'labels.csv'),
      boxesCsv: join(NIH, 'BBox_List_dev.csv'),
    })
    await until('the import', async () => finished.has(jobId))
    if (finished.get(jobId)!.state !== 'succeeded') throw new Error(`import ${finished.get(jobId)!.state}: ${finished.get(jobId)!.error}`)
    s.seconds.import = (performance.now() - t) / 1000

    // What the import stored (a file it refused, or a name twice, is not a case to wait for).
    const { total: cases } = await api.call<{ total: number }>('cases:list', { limit: 1 })

    // Background analysis started during the import; this phase is the rest of it.
    s.phase = 'analysis'
    t = performance.now()
    let status = await api.call<Status>('background:status', {})
    await until('background analysis', async () => {
      status = await api.call<Status>('background:status', {})
      return status.pending + status.running === 0 && status.done + status.failed >= cases
    })
    s.seconds.analysis = (performance.now() - t) / 1000
    if (!status.target) throw new Error('no model is installed: background analysis had nothing to run')

    s.phase = 'open'
    t = performance.now()
    const page = await api.call<{ rows: Array<{ id: number }> }>('cases:list', { limit: OPENS })
    const model = { model: status.target.model, version: status.target.version }
    for (const row of page.rows) {
      const caseId = row.id
      await api.call('background:focus', { caseId })
      const [, image, , predictions] = await Promise.all([
        api.call('cases:get', { caseId }),
        api.call<{ bytes: Uint8Array }>('cases:image', { caseId }),
        api.call('cases:thumbnail', { caseId }),
        api.call<{ probabilities: Array<{ finding: string }> }>('analysis:predictions', { caseId, ...model }),
      ])
      if (!(image.bytes.byteLength > 0)) throw new Error(`case ${caseId}: no image bytes`)
      const top = predictions.probabilities[0]?.finding
      if (top) await api.call('heatmaps:get', { caseId, ...model, finding: top, method: status.target.method })
    }
    s.seconds.open = (performance.now() - t) / 1000
    await sleep(500)
    s.sample()
    s.stop()
    api.close()

    const peak = s.peakTrace
    const peakMain = Math.max(s.hwm, ...Object.values(s.peakRss))
    console.log(
      JSON.stringify({
        images: count,
        images_dir: imagesDir,
        cases,
        model: `${status.target.model}@${status.target.version}`,
        method: status.target.method,
        analysed: status.done,
        failed: status.failed,
        opened: page.rows.length,
        cores: availableParallelism(),
        peak_main_rss_mb: mb(peakMain),
        limit_mb: LIMIT_MB,
        within_limit: peakMain <= LIMIT_MB * MB,
        peak_rss_by_phase_mb: Object.fromEntries(Object.entries(s.peakRss).map(([k, v]) => [k, mb(v)])),
        seconds_by_phase: Object.fromEntries(Object.entries(s.seconds).map(([k, v]) => [k, Math.round(v * 10) / 10])),
        // Where it goes, at the sample with the highest RSS: the main thread's V8 heap, memory V8 objects
        // hold outside it, and the rest (libvips, onnxruntime's session and arena, SQLite, worker isolates).
        at_peak_mb: peak
          ? {
              rss: mb(peak.rss),
              heap_used: mb(peak.heapUsed),
              heap_total: mb(peak.heapTotal),
              external: mb(peak.external),
              array_buffers: mb(peak.arrayBuffers),
              native_and_workers: mb(peak.rss - peak.heapTotal - peak.external),
            }
          : null,
        max_mb: { heap_used: mb(s.maxHeapUsed), external: mb(s.maxExternal), array_buffers: mb(s.maxArrayBuffers) },
        provider_memory: {
          start: firstStart ? 'first (nothing remembered yet)' : 'later (failures remembered by an earlier start)',
          remembered: providerMemory.list().map(({ provider, reason }) => ({ provider, reason })),
        },
        session_options: { spinning: SESSION_DEFAULTS.spinning, cpu_mem_arena: SESSION_DEFAULTS.cpuMemArena },
        worker_processes: s.workerPids.size,
        workers_peak_rss_mb: mb(s.workersPeakRss),
        workers_note: 'job and background workers are threads of the browser-mode process: their memory is in peak_main_rss_mb',
      }),
    )
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r))
      child.kill('SIGTERM')
      await Promise.race([exited, sleep(10_000)])
      if (child.exitCode === null) child.kill('SIGKILL')
    }
    rmSync(work, { recursive: true, force: true })
  }
}

main().catch((error: Error) => {
  console.error(`bench:memory: ${error.stack ?? error.message}`)
  process.exit(1)
})
