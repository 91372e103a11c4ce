/**
 * Runs one background job (import, analysis, …): starts it through the caller's `begin` (any api
 * call answering `{ jobId }`), follows 'job:progress' / 'job:finished' for its id, and can cancel
 * it. Events for the job may arrive before `begin` answers, so they are kept by job id until the id
 * is known; a slow poll of `jobs.get` covers any event the transport lost.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { CxrApi } from '../../../shared/api'
import type { JobProgress } from '../../../shared/domain'
import type { JobKind, JobStatus, JobStatusOf } from '../../../shared/jobs'
import { errorMessage } from '../apiContext'

export type JobPhase = 'idle' | 'starting' | 'running' | 'finished'

export interface JobState<K extends JobKind> {
  phase: JobPhase
  jobId: string | null
  progress: JobProgress | null
  finished: JobStatusOf<K> | null
  error: string | null
}

const IDLE: JobState<never> = { phase: 'idle', jobId: null, progress: null, finished: null, error: null }
const POLL_MS = 2000

/** `K`: the kinds the caller starts; a finished status of another kind never reaches it (job ids are unique). */
export function useJob<K extends JobKind>(api: CxrApi, onFinished: (status: JobStatusOf<K>) => void) {
  const [state, setState] = useState<JobState<K>>(IDLE)
  const jobIdRef = useRef<string | null>(null)
  const early = useRef(new Map<string, { progress?: JobProgress; finished?: JobStatus }>())
  const onFinishedRef = useRef(onFinished)
  useEffect(() => {
    onFinishedRef.current = onFinished
  }, [onFinished])

  const finishedJobs = useRef(new Set<string>())
  const finish = useCallback((status: JobStatus) => {
    if (status.jobId !== jobIdRef.current || finishedJobs.current.has(status.jobId)) return
    finishedJobs.current.add(status.jobId)
    // Only the job this hook started matches jobIdRef, and the caller started it with a kind of K.
    const typed = status as JobStatusOf<K>
    setState((prev) => ({ ...prev, phase: 'finished', progress: typed, finished: typed }))
    onFinishedRef.current(typed)
  }, [])

  useEffect(() => {
    const offProgress = api.on('job:progress', (progress) => {
      if (progress.jobId !== jobIdRef.current) {
        early.current.set(progress.jobId, { ...early.current.get(progress.jobId), progress })
        return
      }
      setState((prev) => (prev.phase === 'running' && prev.jobId === progress.jobId ? { ...prev, progress } : prev))
    })
    const offFinished = api.on('job:finished', (status) => {
      if (status.jobId !== jobIdRef.current) {
        early.current.set(status.jobId, { ...early.current.get(status.jobId), finished: status })
        return
      }
      finish(status)
    })
    return () => {
      offProgress()
      offFinished()
    }
  }, [api, finish])

  // Safety net: poll the job while it runs.
  useEffect(() => {
    if (state.phase !== 'running' || !state.jobId) return
    const jobId = state.jobId
    const timer = setInterval(() => {
      api.jobs.get({ jobId }).then(
        (status) => {
          if (status.state !== 'running') finish(status)
          else setState((prev) => (prev.phase === 'running' && prev.jobId === jobId ? { ...prev, progress: status } : prev))
        },
        () => undefined,
      )
    }, POLL_MS)
    return () => clearInterval(timer)
  }, [api, finish, state.phase, state.jobId])

  const start = useCallback(
    async (begin: () => Promise<{ jobId: string }>) => {
      setState({ ...IDLE, phase: 'starting' })
      try {
        const { jobId } = await begin()
        jobIdRef.current = jobId
        const seen = early.current.get(jobId)
        early.current.clear()
        setState({ ...IDLE, phase: 'running', jobId, progress: seen?.progress ?? null })
        if (seen?.finished) finish(seen.finished)
      } catch (error) {
        setState({ ...IDLE, error: errorMessage(error) })
      }
    },
    [finish],
  )

  const cancel = useCallback(async () => {
    const jobId = jobIdRef.current
    if (!jobId) return
    try {
      await api.jobs.cancel({ jobId })
    } catch (error) {
      setState((prev) => ({ ...prev, error: errorMessage(error) }))
    }
  }, [api])

  const reset = useCallback(() => {
    jobIdRef.current = null
    setState(IDLE)
  }, [])

  return { state, start, cancel, reset }
}
