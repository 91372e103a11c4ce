/**
 * The record of the case being opened, requested at the click rather than after React has rendered
 * the view: the view takes the answer when it asks for the same case and reader. Never kept beyond
 * that one opening, so what is shown is as fresh as a request made by the view itself. The box
 * findings of the case last opened stay known (the analysis store opens its map on them).
 */
import type { CxrApi } from '../../../shared/api'
import type { CaseDetail } from '../../../shared/domain'

export type DetailRequest = ReturnType<typeof createDetailRequest>

export function createDetailRequest(api: CxrApi) {
  let ahead: { caseId: number; readerId: number | null; promise: Promise<CaseDetail> } | null = null
  let boxes: { caseId: number; findings: readonly string[] | null; promise: Promise<readonly string[]> } | null = null
  const fetch = (caseId: number, readerId: number | null) => api.cases.get({ caseId, readerId: readerId ?? undefined })
  return {
    start(caseId: number, readerId: number | null): void {
      const promise = fetch(caseId, readerId)
      // A failure is reported by the view that takes it (or dropped with it).
      promise.catch(() => undefined)
      ahead = { caseId, readerId, promise }
      const entry: NonNullable<typeof boxes> = { caseId, findings: null, promise: promise.then((d) => d.boxList.map((b) => b.finding)) }
      entry.promise.then(
        (f) => void (entry.findings = f),
        () => undefined,
      )
      boxes = entry
    },
    /** The box findings of a case being opened: now when its record is in, else a promise; null for another case. */
    boxFindings(caseId: number): readonly string[] | Promise<readonly string[]> | null {
      if (boxes?.caseId !== caseId) return null
      return boxes.findings ?? boxes.promise
    },
    take(caseId: number, readerId: number | null): Promise<CaseDetail> {
      const started = ahead
      ahead = null
      return started && started.caseId === caseId && started.readerId === readerId ? started.promise : fetch(caseId, readerId)
    },
  }
}
