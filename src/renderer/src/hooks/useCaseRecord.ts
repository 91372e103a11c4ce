/**
 * The open case's record and decoded image. The image comes from the shared cache (already there
 * when it was prefetched as a neighbour) and is pinned while shown; the record is the one requested
 * at the click (see detailRequest), fetched again when the reader changes (it says whose boxes are "mine"). Everything resets with the case id in
 * the same render, and late answers for a case already left are dropped.
 */
import { useEffect } from 'react'
import type { CaseDetail, CaseStatus } from '../../../shared/domain'
import { errorMessage } from '../apiContext'
import type { CaseImages } from '../stores/caseImages'
import type { DetailRequest } from '../stores/detailRequest'
import { useScopedState } from './useScopedState'

export interface CaseRecord {
  detail: CaseDetail | null
  bitmap: ImageBitmap | null
  /** Live review status (the detail's is as loaded). */
  status: CaseStatus
  error: string | null
  setStatus: (status: CaseStatus) => void
  setError: (error: string | null) => void
}

export function useCaseRecord(details: DetailRequest, images: CaseImages, caseId: number, readerId: number | null): CaseRecord {
  const [bitmap, setBitmap] = useScopedState<ImageBitmap | null>(caseId, () => images.peek(caseId))
  const [detail, setDetail] = useScopedState<CaseDetail | null>(caseId, null)
  const [status, setStatus] = useScopedState<CaseStatus>(caseId, 'new')
  const [error, setError] = useScopedState<string | null>(caseId, null)

  useEffect(() => {
    let cancelled = false
    const unpin = images.pin(caseId)
    images.get(caseId).then(
      (result) => !cancelled && setBitmap(result),
      (reason: unknown) => !cancelled && setError(errorMessage(reason)),
    )
    return () => {
      cancelled = true
      unpin()
    }
  }, [images, caseId, setBitmap, setError])

  useEffect(() => {
    let cancelled = false
    details.take(caseId, readerId).then(
      (result) => {
        if (cancelled) return
        setStatus(result.status)
        setDetail(result)
      },
      (reason: unknown) => !cancelled && setError(errorMessage(reason)),
    )
    return () => void (cancelled = true)
  }, [details, caseId, readerId, setDetail, setStatus, setError])

  return { detail, bitmap, status, error, setStatus, setError }
}
