import type { CaseStore } from '../store/caseStore'
import type { Labelled } from './splits'

/**
 * The store's labelled cases as training items (one 0/1 per finding of the model). Unlabelled cases
 * teach nothing here; 'No Finding' ones are negatives for every finding.
 */
export function labelledItems(store: CaseStore, findings: string[]): Labelled[] {
  const items: Labelled[] = []
  for (let offset = 0; ; offset += 500) {
    const page = store.worklist.query({ offset, limit: 500 })
    for (const row of page.rows) {
      const labels = store.annotations.labels(row.id).map((l) => l.finding)
      if (labels.length === 0) continue
      items.push({ caseId: row.id, patient: row.patient ?? `case-${row.id}`, labels: Uint8Array.from(findings, (f) => (labels.includes(f) ? 1 : 0)) })
    }
    if (page.rows.length === 0 || offset + page.rows.length >= page.total) break
  }
  return items
}
