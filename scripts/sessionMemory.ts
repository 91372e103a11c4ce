/**
 * `npx tsx scripts/sessionMemory.ts [--model-dir DIR] [--batches N] [--threads N]`: what onnxruntime's CPU
 * memory arena and intra-op spinning cost in memory and CPU time, each variant in a process of its own
 * (a process's peak RSS cannot be split between sessions). Each child opens the model with the
 * engine's session options (providers.ts's sessionOptionsFor) but for the one option, runs N batches
 * of 1 and 4 images as background analysis does (changing inputs), and reports its peak RSS (the
 * kernel's maxRSS), RSS after the session was made, and its CPU seconds. Prints one JSON line.
 */
import { execFileSync } from 'node:child_process'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import * as ort from 'onnxruntime-node'
import { loadModelPackage } from '../src/main/model/modelPackage'
import { sessionOptionsFor, type SessionOptions } from '../src/main/model/providers'

const { values } = parseArgs({
  options: {
    'model-dir': { type: 'string' },
    batches: { type: 'string' },
    threads: { type: 'string' },
    child: { type: 'string' },
    repeats: { type: 'string' },
  },
})
const modelDir = resolve(values['model-dir'] ?? 'resources/models/cxr-mobilenet-v1')
const batches = Math.max(2, Number(values.batches ?? 40))
const threads = Math.max(1, Number(values.threads ?? 1))
const VARIANTS: Record<string, SessionOptions> = {
  engine: {},
  no_cpu_mem_arena: { cpuMemArena: false },
  spinning: { spinning: true },
}
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10

async function child(name: string): Promise<void> {
  const pkg = loadModelPackage(modelDir)
  const { height, width } = pkg.manifest.input
  const channels = pkg.manifest.input.channels === 'gray' ? 1 : 3
  const session = await ort.InferenceSession.create(pkg.modelPath, {
    ...sessionOptionsFor('cpu', { threads, ...VARIANTS[name] }),
    logSeverityLevel: 3,
  })
  const created = process.memoryUsage().rss
  const size = channels * height * width
  const input = new Float32Array(4 * size)
  const cpu = process.cpuUsage()
  for (let i = 0; i < batches; i++) {
    for (let j = 0; j < input.length; j += 97) input[j] = Math.sin(i + j)
    const n = i % 3 === 0 ? 1 : 4
    const dims = pkg.manifest.input.layout === 'NCHW' ? [n, channels, height, width] : [n, height, width, channels]
    await session.run({ [pkg.manifest.input.name]: new ort.Tensor('float32', input.subarray(0, n * size), dims) })
  }
  const used = process.cpuUsage(cpu)
  console.log(
    JSON.stringify({
      rss_after_create_mb: mb(created),
      peak_rss_mb: mb(process.resourceUsage().maxRSS * 1024),
      cpu_s: Math.round((used.user + used.system) / 1e4) / 100,
    }),
  )
  await session.release()
}

function main(): void {
  const repeats = Math.max(1, Number(values.repeats ?? 2))
  const rows: Record<string, Array<Record<string, number>>> = {}
  // alternated, so a slow spell on a shared machine falls on every variant
  for (let r = 0; r < repeats; r++) {
    for (const name of Object.keys(VARIANTS)) {
      const out = execFileSync(
        process.execPath,
        [
          ...process.execArgv,
          join(__dirname, 'sessionMemory.ts'),
          '--child',
          name,
          '--model-dir',
          modelDir,
          '--batches',
          String(batches),
          '--threads',
          String(threads),
        ],
        { encoding: 'utf8' },
      )
      ;(rows[name] ??= []).push(JSON.parse(out.trim().split('\n').at(-1)!))
    }
  }
  console.log(JSON.stringify({ model: modelDir, batches, threads, repeats, variants: rows }))
}

if (values.child) void child(values.child)
else main()
