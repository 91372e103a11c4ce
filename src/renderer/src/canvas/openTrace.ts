/**
 * Where the time of one case opening goes: the click, each request issued and answered (with the
 * server's own handling time), the image decoded, the canvas drawn, the heatmap on it, and the long
 * tasks that blocked the main thread meanwhile. One trace at a time (the last opening), a few dozen
 * entries, so it costs nothing worth measuring; the e2e specs read it through
 * window.__cxrOpenTrace (test mode only, as window.__cxrViewer) and print the breakdown.
 */
import { TEST_MODE } from './testHook'

export interface OpenStep {
  name: string
  /** ms since the click */
  at: number
  /** the server's handling time of a request (browser mode), ms */
  serverMs?: number
}

export interface OpenTrace {
  caseId: number
  steps: OpenStep[]
  /** Main-thread tasks over 50 ms during the opening: [start since the click, duration] in ms. */
  longTasks: Array<[number, number]>
}

/** Entries past this are dropped (a trace left running while the reader stays on the case). */
const MAX_STEPS = 80
/** Long after an opening nothing is part of it any more. */
const WINDOW_MS = 5000

let trace: (OpenTrace & { t0: number }) | null = null

export function beginOpen(caseId: number): void {
  trace = { caseId, t0: performance.now(), steps: [], longTasks: [] }
  if (TEST_MODE) window.__cxrOpenTrace = () => lastOpenTrace()
}

/** Records a step of the current opening (`caseId`: only when it is still that case's). */
export function markOpen(name: string, caseId?: number, serverMs?: number): void {
  if (!trace || (caseId !== undefined && caseId !== trace.caseId)) return
  const at = performance.now() - trace.t0
  if (at > WINDOW_MS || trace.steps.length >= MAX_STEPS) return
  trace.steps.push(serverMs === undefined ? { name, at } : { name, at, serverMs })
  // In a Chromium trace of the specs' openings (CXR_E2E_TRACE) the steps appear in the timeline; only
  // then: with a DevTools client attached every console call is also a protocol message (ms each).
  if (TEST_MODE && window.__cxrTraceMarks) console.timeStamp(name)
}

/** As markOpen, for a step that happened at `time` (performance.now()), e.g. reported later by a worker. */
export function markOpenAt(name: string, caseId: number, time: number): void {
  if (!trace || caseId !== trace.caseId) return
  const at = time - trace.t0
  if (at < 0 || at > WINDOW_MS || trace.steps.length >= MAX_STEPS) return
  trace.steps.push({ name, at })
}

export function lastOpenTrace(): OpenTrace | null {
  if (!trace) return null
  const { caseId, steps, longTasks } = trace
  return { caseId, steps: [...steps], longTasks: [...longTasks] }
}

// Long tasks (Chromium): what blocked the main thread during an opening.
if (TEST_MODE && typeof PerformanceObserver !== 'undefined' && PerformanceObserver.supportedEntryTypes?.includes('longtask')) {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (!trace) continue
      const start = entry.startTime - trace.t0
      if (start + entry.duration >= 0 && start < WINDOW_MS) trace.longTasks.push([Math.round(start), Math.round(entry.duration)])
    }
  }).observe({ type: 'longtask' })
}

declare global {
  interface Window {
    __cxrOpenTrace?: () => OpenTrace | null
    /** Set by the e2e specs' trace helper while a Chromium trace records. */
    __cxrTraceMarks?: boolean
  }
}
