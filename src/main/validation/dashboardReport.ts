/**
 * The dashboard's committee report: the dashboard's data plus what only the core knows (versions,
 * the data folder, the model card) and the example overlays drawn from the stored maps and images.
 * Shared by the app's and browser mode's Export and by `cxr-lens export report`.
 */
import { readFileSync } from 'node:fs'
import type { DashboardQuery } from '../../shared/domain'
import { examplesSection, pickExamples, type ExampleCandidate } from '../evaluation/reportExamples'
import type { ModelRegistry } from '../registry/modelRegistry'
import type { CaseStore } from '../store/caseStore'
import { dashboard } from './dashboard'
import { dashboardHtml } from './dashboardExport'

export interface DashboardReportSource {
  store: CaseStore
  registry: ModelRegistry
  dataDir: string
  version: string
  schemaVersion: number
}

/** A printed page cannot show more: best and worst per finding, at most eight pairs. */
const MAX_EXAMPLES = 8

export async function dashboardReport(source: DashboardReportSource, query: DashboardQuery, generatedAt?: string): Promise<string> {
  const { store, registry } = source
  const data = dashboard(store, registry, query, { dataDir: source.dataDir })
  const manifest = data.model ? registry.get(data.model.id, data.model.version).pkg.manifest : null
  let examples = ''
  if (data.model && manifest) {
    const { id, version } = data.model
    const picked = pickExamples(data.scatter, manifest.findings, MAX_EXAMPLES)
    const candidates: Array<ExampleCandidate & { rank: 'best' | 'worst' }> = []
    const skipped: string[] = []
    for (const p of picked) {
      const record = store.cases.get(p.caseId)
      const map = store.results.heatmap(p.caseId, id, version, p.finding, query.method)
      if (!record || !map) continue
      let bytes: Uint8Array
      try {
        // read here so a moved image costs its example, not the report
        bytes = readFileSync(record.path)
      } catch {
        skipped.push(record.imageName)
        continue
      }
      const boxes = store.annotations
        .boxes(p.caseId)
        .filter((b) => b.finding === p.finding && (query.readerId === undefined || b.readerId === query.readerId))
        .map((b) => ({ x: b.x / record.width, y: b.y / record.height, w: b.w / record.width, h: b.h / record.height }))
      candidates.push({
        image: record.imageName,
        finding: p.finding,
        iou: p.iou,
        rank: p.rank,
        source: bytes,
        map: map.data,
        mapWidth: map.width,
        mapHeight: map.height,
        boxes,
      })
    }
    examples = await examplesSection(candidates, query.method)
    if (skipped.length)
      examples += `<p class="legend">Image files not found for: ${skipped.map((s) => s.replace(/[&<>"]/g, '')).join(', ')}.</p>`
  }
  const filters = [
    query.finding ? `finding ${query.finding}` : null,
    query.readerId !== undefined ? `boxes of reader #${query.readerId} only` : null,
  ].filter(Boolean)
  return dashboardHtml(data, {
    generatedAt,
    dataSource: `case database of the data folder ${source.dataDir}: stored predictions and ${query.method} heatmaps${filters.length ? ` (${filters.join(', ')})` : ''}`,
    appVersion: source.version,
    databaseSchema: source.schemaVersion,
    sha256: manifest?.sha256,
    intendedUse: manifest?.modelCard.intendedUse ?? null,
    examples,
  })
}
