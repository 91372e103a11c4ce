import { parseArgs } from 'node:util'
import type { CaseStore } from '../store/caseStore'
import { UsageError } from './cliContext'

export const CASES_USAGE = 'cxr-lens cases [--finding F] [--limit N] [--data-dir DIR] [--json]'

/** `cases --json` prints {"total": N, "cases": [{"image", "findings", "boxes"}]}: scripts depend on these names. */
export function runCases(store: CaseStore, args: string[]): number {
  const { values } = parseArgs({
    args,
    options: { finding: { type: 'string' }, limit: { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' } },
  })
  const limit = values.limit === undefined ? 100 : Number(values.limit)
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive whole number\nusage: ${CASES_USAGE}`)
  const pageSize = 500
  const cases: Array<{ image: string; findings: string[]; boxes: number }> = []
  let total = 0
  while (cases.length < limit) {
    const page = store.worklist.query({ finding: values.finding, offset: cases.length, limit: Math.min(pageSize, limit - cases.length) })
    total = page.total
    cases.push(...page.rows.map((row) => ({ image: row.image, findings: row.findings, boxes: row.boxes })))
    if (page.rows.length === 0 || cases.length >= total) break
  }
  if (values.json) {
    console.log(JSON.stringify({ total, cases }))
  } else {
    console.log(`${total} case(s)${values.finding ? ` with ${values.finding}` : ''}; showing ${cases.length}`)
    for (const c of cases) console.log(`${c.image}\t${c.findings.join('|') || '-'}\t${c.boxes} box(es)`)
  }
  return 0
}
