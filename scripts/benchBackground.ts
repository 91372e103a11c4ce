/**
 * `npm run bench:background [-- N]`: background analysis against the CLI's `explain --all` on the
 * same N cases at 1024² (default 714: the 50 NIH originals of images-1024 and, for the rest, images-256
 * upscaled to 1024² with Lanczos, so every file is a distinct 1024² PNG). Prints one JSON line:
 * - first_heatmap_s: from the first case committed by a fresh import (background on, as in the app)
 *   to its stored Grad-CAM; import_s and import_to_drained_s for the same run;
 * - background_s: the queue of all N cases (re-queued after that run) drained by the worker alone,
 *   with background_cases_per_s and background_cpu_ms_per_case (CPU time per case of this process,
 *   all threads, and of its decoder process, whose part is background_decoder_cpu_ms_per_case (Linux:
 *   read from /proc; 0 elsewhere): unlike the wall time it barely moves when other work shares the cores);
 * - cli_s: analyzeCases over the same N cases, as `cxr-lens explain --method gradcam --all` runs it
 *   (cli_cases_per_s, cli_cpu_ms_per_case);
 * - background_cores_used, cli_cores_used: CPU time over wall time (2.0 = both cores of a 2-core machine);
 * - stages_cpu_ms: CPU ms per case of each stage of the background path run alone, one after another,
 *   over the first stages_cases cases (scripts/backgroundStages.ts): what the two threads share out;
 *   kept_input and total_kept: reading the import's kept model input instead of read + decode_resize;
 * - cli_import_s, cli_import_cpu_ms_per_image: the CLI copy's import alone (no analysis beside it),
 *   what the import pays, model-input cache included; model_inputs_kept: the cache files it wrote.
 * Wall times move with whatever else shares the machine; the CPU figures barely do.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import sharp from 'sharp'
import { DataFolder } from '../src/main/config/dataFolder'
import { openServices, type Services as Core } from '../src/main/services/openServices'
import { analyzeCases } from '../src/main/analysis/analysisService'
import { importNih } from '../src/main/cases/nihImporter'
import { InferenceEngine } from '../src/main/model/inferenceEngine'
import { ModelRegistry } from '../src/main/registry/modelRegistry'
import { CaseStore } from '../src/main/store/caseStore'
import type { ImportRequest } from '../src/shared/domain'
import { backgroundStages } from './backgroundStages'

const NIH = resolve('../shared/data/nih')
const count = Number(process.argv[2] ?? 714)
const round = (s: number) => Math.round(s * 1000) / 1000
const STAGE_CASES = 64

async function imagesFolder(dir: string): Promise<string> {
  const out = join(dir, 'images')
  mkdirSync(out)
  const originals = readdirSync(join(NIH, 'images-1024'))
    .filter((n) => n.endsWith('.png'))
    .sort()
  const chosen = originals.slice(0, count)
  for (const name of chosen) symlinkSync(join(NIH, 'images-1024', name), join(out, name))
  const taken = new Set(chosen)
  for (const name of readdirSync(join(NIH, 'images-256'))
    .filter((n) => n.endsWith('.png'))
    .sort()) {
    if (taken.size >= count) break
    if (taken.has(name)) continue
    taken.add(name)
    await sharp(join(NIH, 'images-256', name))
      .resize(1024, 1024, { kernel: 'lanczos3' })
      .png()
      .toFile(join(out, name))
  }
  if (taken.size < count) throw new Error(`only ${taken.size} images available, asked for ${count}`)
  return out
}

function until(core: Core, predicate: () => boolean): Promise<void> {
  return new Promise((resolveWait, reject) => {
    const deadline = Date.now() + 30 * 60_000
    const poll = () => {
      if (predicate()) return resolveWait()
      if (Date.now() > deadline) return reject(new Error(`background analysis did not finish: ${JSON.stringify(core.background.status())}`))
      setTimeout(poll, 50)
    }
    poll()
  })
}

/** Queue counts only (status() also lists failures): the poll must not compete with the worker. */
const drained = (core: Core) => () => {
  const s = core.store.queue.counts()
  return s.pending + s.running === 0 && !core.background.busy
}
const emptied = (core: Core) => () => {
  const s = core.store.queue.counts()
  return s.pending + s.running === 0
}
const cpuMs = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since)
  return (d.user + d.system) / 1000
}

/**
 * CPU ms so far of each live child process (the background decoder), by pid, from /proc (Linux; empty
 * elsewhere): process.cpuUsage counts this process's threads only, and the decoder's share of a
 * case is about half.
 */
function childCpuMs(): Map<number, number> {
  const out = new Map<number, number>()
  if (process.platform !== 'linux') return out
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      // After the command: state, ppid, …; utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 Hz).
      if (Number(fields[1]) === process.pid) out.set(Number(pid), (Number(fields[11]) + Number(fields[12])) * 10)
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return out
}

/** CPU ms the child processes spent since `since` (a child that started meanwhile counts from zero). */
function childCpuSince(since: Map<number, number>): number {
  let total = 0
  for (const [pid, ms] of childCpuMs()) total += ms - (since.get(pid) ?? 0)
  return total
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'cxr-bench-background-'))
  try {
    const request: ImportRequest = {
      imagesDir: await imagesFolder(work),
      labelsCsv: join(NIH, 'labels.csv'),
      boxesCsv: join(NIH, 'BBox_List_dev.csv'),
    }

    // The app's way: a fresh import with background analysis on.
    const appDir = join(work, 'app')
    const core = openServices(new DataFolder(appDir), { kind: 'web', background: true })
    const firstCommitted: { at: number | null } = { at: null }
    let firstHeatmapAt: number | null = null
    core.background.on('results', () => (firstHeatmapAt ??= performance.now()))
    const committed = setInterval(() => {
      if (firstCommitted.at === null && core.store.worklist.matchingIds({}).length > 0) firstCommitted.at = performance.now()
    }, 5)
    const importStart = performance.now()
    core.background.prewarm()
    const job = await core.jobs.wait(core.jobs.start('import', request))
    const importEnd = performance.now()
    if (job.state !== 'succeeded') throw new Error(`import ${job.state}: ${job.error}`)
    await until(core, drained(core))
    const importToDrained = performance.now() - importStart
    clearInterval(committed)
    const status = core.background.status()

    // The worker alone over all N (comparable to the CLI run below).
    core.store.transaction(() => core.store.queue.clearPending())
    const again = performance.now()
    const backgroundCpu = process.cpuUsage()
    const decoderCpu = childCpuMs()
    const { queued } = core.background.enqueue({ scope: { kind: 'all' } })
    await until(core, emptied(core))
    const backgroundSeconds = (performance.now() - again) / 1000
    const decoderCpuMs = childCpuSince(decoderCpu)
    const backgroundCpuMs = cpuMs(backgroundCpu) + decoderCpuMs
    const target = core.background.target()!
    await core.close()

    // The CLI's way on its own copy: import, then explain --all (analyzeCases, default batch and threads).
    const cliDir = join(work, 'cli')
    mkdirSync(cliDir)
    const store = CaseStore.open(join(cliDir, 'cxr-lens.sqlite'))
    const cliImportStart = performance.now()
    const cliImportCpu = process.cpuUsage()
    const cliImport = await importNih(store, request)
    const cliImportSeconds = (performance.now() - cliImportStart) / 1000
    const cliImportCpuMs = cpuMs(cliImportCpu)
    const modelInputsDir = new DataFolder(cliDir).modelInputs
    const modelInputsKept = existsSync(modelInputsDir) ? readdirSync(modelInputsDir).length : 0
    const engine = new InferenceEngine()
    const registry = new ModelRegistry(store, join(cliDir, 'models'))
    const cliStart = performance.now()
    const cliCpu = process.cpuUsage()
    const result = await analyzeCases({ store, registry, engine }, { caseIds: store.worklist.matchingIds({}), methods: ['gradcam'] })
    const cliSeconds = (performance.now() - cliStart) / 1000
    const cliCpuMs = cpuMs(cliCpu)
    await engine.close()
    const stagesCases = Math.min(STAGE_CASES, count)
    const stages = await backgroundStages(store, registry.get(target.modelId, target.modelVersion).pkg, stagesCases)
    store.close()

    console.log(
      JSON.stringify({
        cases: count,
        model: `${target.modelId}@${target.modelVersion}`,
        method: target.method,
        provider: result.provider,
        cores: availableParallelism(),
        import_s: round((importEnd - importStart) / 1000),
        first_heatmap_s: firstHeatmapAt !== null && firstCommitted.at !== null ? round((firstHeatmapAt - firstCommitted.at) / 1000) : null,
        import_to_drained_s: round(importToDrained / 1000),
        analysed_during_import_run: status.done,
        failed: status.failed,
        background_s: round(backgroundSeconds),
        background_queued: queued,
        background_cases_per_s: round(queued / backgroundSeconds),
        background_cpu_ms_per_case: round(backgroundCpuMs / queued),
        background_cores_used: round(backgroundCpuMs / 1000 / backgroundSeconds),
        background_decoder_cpu_ms_per_case: round(decoderCpuMs / queued),
        cli_s: round(cliSeconds),
        cli_cases: result.cases.length,
        cli_cases_per_s: round(result.cases.length / cliSeconds),
        cli_cpu_ms_per_case: round(cliCpuMs / result.cases.length),
        cli_cores_used: round(cliCpuMs / 1000 / cliSeconds),
        stages_cases: stagesCases,
        stages_cpu_ms: stages,
        cli_import_s: round(cliImportSeconds),
        cli_import_cpu_ms_per_image: round(cliImportCpuMs / Math.max(1, cliImport.imported)),
        model_inputs_kept: modelInputsKept,
      }),
    )
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

main().catch((error: Error) => {
  console.error(`bench:background: ${error.stack ?? error.message}`)
  process.exit(1)
})
