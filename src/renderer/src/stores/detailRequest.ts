/**
 * The record of the case being opened, requested at the click rather than after React has rendered
 * the view: the view takes the answer when it asks for the same case and reader. Never kept beyond
 * that one opening, so what is shown is as fresh as a request made by the view itself.
 */
import type { CxrApi } from '../../../shared/api'
import type { CaseDetail } from '../../../shared/domain'

export type DetailRequest = ReturnType<typeof createDetailRequest>

export function createDetailRequest(api: CxrApi) {
  let ahead: { caseId: number; readerId: number | null; promise: Promise<CaseDetail> } | null = null
  const fetch = (caseId: number, readerId: number | null) => api.cases.get({ caseId, readerId: readerId ?? undefined })
  return {
    start(caseId: number, readerId: number | null): void {
      const promise = fetch(caseId, readerId)
      // A failure is reported by the view that takes it (or dropped with it).
      promise.catch(() => undefined)
      ahead = { caseId, readerId, promise }
    },
    take(caseId: number, readerId: number | null): Promise<CaseDetail> {
      const started = ahead
      ahead = null
      return started && started.caseId === caseId && started.readerId === readerId ? started.promise : fetch(caseId, readerId)
    },
  }
}
