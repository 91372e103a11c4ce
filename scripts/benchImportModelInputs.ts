/**
 * `npx tsx scripts/benchImportModelInputs.ts [-- DIR] [--rounds N]`: what keeping the default model's
 * input costs an import (cases/modelInputCache.ts). The same folder (default the 50 NIH originals of
 * images-1024, 1024² PNGs) is imported into fresh data folders, alternately without and with the
 * model inputs kept, N rounds each after one warm-up, in this one process, so both see the same
 * machine. Prints one JSON line: CPU ms per imported image (this process, every thread: libvips'
 * included) and wall ms per image for each round, and the medians. CPU time is the figure to read on a
 * shared machine; the wall time moves with whatever else runs.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { defaultModelInputs } from '../src/main/cases/defaultModelInputs'
import { DisplayRenditions } from '../src/main/cases/displayRendition'
import { runImport } from '../src/main/cases/importPipeline'
import { NihFolderSource } from '../src/main/cases/nihSource'
import { DataFolder } from '../src/main/config/dataFolder'
import { CaseStore } from '../src/main/store/caseStore'

const NIH = resolve('../shared/data/nih')
const { values, positionals } = parseArgs({ options: { rounds: { type: 'string', default: '4' } }, allowPositionals: true })
const request = { imagesDir: resolve(positionals[0] ?? join(NIH, 'images-1024')), labelsCsv: join(NIH, 'labels.csv') }
const rounds = Math.max(1, Number(values.rounds))

async function importOnce(keep: boolean): Promise<{ cpu: number; wall: number; kept: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'cxr-bench-model-inputs-'))
  try {
    const folder = new DataFolder(dir)
    const store = CaseStore.open(folder.database)
    const target = keep ? defaultModelInputs(store, folder) : null
    if (keep && !target) throw new Error('no default model to keep inputs for')
    const since = process.cpuUsage()
    const started = performance.now()
    const tally = await runImport(store, new NihFolderSource(request, new DisplayRenditions(folder.displayRenditions), target))
    const used = process.cpuUsage(since)
    const wall = performance.now() - started
    store.close()
    const n = Math.max(1, tally.imported)
    return { cpu: (used.user + used.system) / 1000 / n, wall: wall / n, kept: keep }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const r1 = (v: number) => Math.round(v * 10) / 10

async function main(): Promise<void> {
  await importOnce(false) // warm-up: file cache, sharp and the model files
  const plain: Array<{ cpu: number; wall: number }> = []
  const kept: Array<{ cpu: number; wall: number }> = []
  for (let i = 0; i < rounds; i++) {
    plain.push(await importOnce(false))
    kept.push(await importOnce(true))
  }
  console.log(
    JSON.stringify({
      images_dir: request.imagesDir,
      rounds,
      plain_cpu_ms_per_image: plain.map((r) => r1(r.cpu)),
      kept_cpu_ms_per_image: kept.map((r) => r1(r.cpu)),
      plain_wall_ms_per_image: plain.map((r) => r1(r.wall)),
      kept_wall_ms_per_image: kept.map((r) => r1(r.wall)),
      median_plain_cpu_ms: r1(median(plain.map((r) => r.cpu))),
      median_kept_cpu_ms: r1(median(kept.map((r) => r.cpu))),
    }),
  )
}

main().catch((error: Error) => {
  console.error(`benchImportModelInputs: ${error.stack ?? error.message}`)
  process.exit(1)
})
