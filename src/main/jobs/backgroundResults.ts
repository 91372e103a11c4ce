/**
 * Background results on their way to the windows: a worker reports each batch (about ten a second on
 * two cores), and every report patches worklist rows in every window, so reports are gathered and
 * sent together at most once per interval. The first report after a quiet interval goes out at once
 * (a fresh import's first heatmap is not held back); a flush sends what is held (the queue drained,
 * the worker stopped).
 */
import type { BackgroundResults } from '../../shared/background'

export class ResultsCoalescer {
  /** Held cases per model version and method, each case once (its latest report). */
  private readonly held = new Map<
    string,
    { head: Omit<BackgroundResults, 'cases'>; cases: Map<number, BackgroundResults['cases'][number]> }
  >()
  private lastSent = Number.NEGATIVE_INFINITY
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly intervalMs: number,
    private readonly send: (results: BackgroundResults) => void,
    private readonly now: () => number = () => Date.now(),
  ) {}

  add(results: BackgroundResults): void {
    const key = JSON.stringify([results.model.id, results.model.version, results.method])
    let entry = this.held.get(key)
    if (!entry) this.held.set(key, (entry = { head: { model: results.model, method: results.method }, cases: new Map() }))
    for (const c of results.cases) {
      entry.cases.delete(c.caseId) // re-inserted last: the order of the latest reports
      entry.cases.set(c.caseId, c)
    }
    const wait = this.lastSent + this.intervalMs - this.now()
    if (wait <= 0) this.flush()
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), wait)
      this.timer.unref()
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (this.held.size === 0) return
    const batches = [...this.held.values()]
    this.held.clear()
    this.lastSent = this.now()
    for (const { head, cases } of batches) if (cases.size > 0) this.send({ ...head, cases: [...cases.values()] })
  }
}
