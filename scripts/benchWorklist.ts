/**
 * `npm run bench:worklist`: fills a temporary database with 112,120 cases (the size of NIH
 * ChestX-ray14; names and labels come from ../shared/data/nih/Data_Entry_2017.csv when present,
 * synthetic otherwise) and times a mix of filtered worklist queries through the real repository.
 * Prints one JSON line: {"cases", "query_ms_p50", "query_ms_p95", ...}.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { readNihLabels, type NihLabelRow } from '../src/main/cases/nihCsv'
import { NIH_FINDINGS, NO_FINDING } from '../src/shared/findings'
import type { CaseStatus, WorklistQuery } from '../src/shared/domain'
import { CaseStore } from '../src/main/store/caseStore'

const CASES = 112_120
const REPEATS = 5

function rng(seed: number) {
  return () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32
}

function sourceRows(): NihLabelRow[] {
  const csv = resolve(process.env.NIH_DATA_ENTRY ?? '../shared/data/nih/Data_Entry_2017.csv')
  if (existsSync(csv)) return readNihLabels(csv).rows.slice(0, CASES)
  const random = rng(7)
  return Array.from({ length: CASES }, (_, i) => ({
    image: `${String(Math.floor(i / 4)).padStart(8, '0')}_${String(i % 4).padStart(3, '0')}.png`,
    findings: random() < 0.54 ? [NO_FINDING] : [NIH_FINDINGS[Math.floor(random() * NIH_FINDINGS.length)]],
    followUp: i % 4,
    patientId: String(Math.floor(i / 4)),
    age: 20 + Math.floor(random() * 60),
    sex: random() < 0.5 ? 'M' : 'F',
    view: random() < 0.6 ? 'PA' : 'AP',
    originalWidth: 2500,
    originalHeight: 2048,
    pixelSpacingX: 0.143,
    pixelSpacingY: 0.143,
  }))
}

function fill(store: CaseStore): number {
  const rows = sourceRows()
  const random = rng(42)
  const statuses: CaseStatus[] = ['new', 'new', 'new', 'in_review', 'reviewed']
  const at = new Date().toISOString()
  store.transaction(() => {
    rows.forEach((row, i) => {
      const patientId = store.cases.ensurePatient(row.patientId ?? `p${i}`, row.sex, at)
      const id = store.cases.insert({
        imageName: row.image,
        patientId,
        path: `/synthetic/${row.image}`,
        sha256: i.toString(16).padStart(64, '0'),
        format: 'png',
        width: 1024,
        height: 1024,
        bitDepth: 8,
        channels: 1,
        view: row.view,
        age: row.age,
        sex: row.sex,
        followUp: row.followUp,
        originalWidth: row.originalWidth,
        originalHeight: row.originalHeight,
        pixelSpacingX: row.pixelSpacingX,
        pixelSpacingY: row.pixelSpacingY,
        importedAt: at,
      })
      for (const finding of row.findings) store.annotations.addLabel(id, finding, 'dataset', 'NIH ChestX-ray14', at)
      // NIH has ~1,000 boxes on ~880 images; the bench uses about twice that.
      if (row.findings[0] !== NO_FINDING && random() < 0.035) {
        store.annotations.addBox({
          caseId: id,
          finding: row.findings[0],
          x: 100,
          y: 200,
          w: 150 + (i % 50),
          h: 120,
          source: 'dataset',
          author: 'NIH ChestX-ray14',
          at,
        })
      }
      const status = statuses[Math.floor(random() * statuses.length)]
      if (status !== 'new') store.cases.setStatus(id, status)
    })
  })
  return rows.length
}

const QUERIES: WorklistQuery[] = [
  {},
  { finding: 'Infiltration' },
  { finding: 'Hernia' },
  { finding: 'Cardiomegaly', hasBoxes: true },
  { hasBoxes: true },
  { hasBoxes: false, status: 'new' },
  { status: 'reviewed', sort: 'age', order: 'desc' },
  { search: '0001' },
  { search: '_000', finding: 'Effusion' },
  { finding: 'No Finding', offset: 20_000 },
  { sort: 'imported', order: 'desc', offset: 50_000 },
  { finding: 'Mass', status: 'in_review', sort: 'age' },
  { sort: 'boxes', order: 'desc' },
]

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]
}

const dir = mkdtempSync(join(tmpdir(), 'cxr-bench-'))
try {
  const store = CaseStore.open(join(dir, 'bench.sqlite'))
  const fillStarted = performance.now()
  const cases = fill(store)
  store.db.exec('ANALYZE')
  const fillSeconds = (performance.now() - fillStarted) / 1000
  const times: number[] = []
  let slowest = { ms: 0, query: {} as WorklistQuery }
  for (let r = 0; r < REPEATS; r++) {
    for (const query of QUERIES) {
      const started = performance.now()
      store.worklist.query({ limit: 100, ...query })
      const ms = performance.now() - started
      times.push(ms)
      if (process.env.BENCH_VERBOSE) console.error(ms.toFixed(1), JSON.stringify(query))
      if (ms > slowest.ms) slowest = { ms, query }
    }
  }
  store.close()
  times.sort((a, b) => a - b)
  const round = (x: number) => Math.round(x * 100) / 100
  console.log(
    JSON.stringify({
      cases,
      query_ms_p50: round(percentile(times, 0.5)),
      query_ms_p95: round(percentile(times, 0.95)),
      queries: times.length,
      slowest_ms: round(slowest.ms),
      slowest_query: slowest.query,
      fill_s: round(fillSeconds),
    }),
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
}
