/**
 * Per-reader backoff after failed logins: each failure doubles the wait before that reader may try
 * again (0.25 s, 0.5 s, 1 s, … at most 5 min), so guessing a secret online costs days, while a
 * mistyped secret costs a quarter of a second. Kept in the database for known readers (shared by
 * every process on the data folder, and surviving a restart); in memory for ids that name no reader,
 * so an unknown id is refused exactly like a wrong secret.
 */
export const FIRST_WAIT_MS = 250
export const MAX_WAIT_MS = 5 * 60 * 1000

export function backoffMs(failures: number): number {
  if (failures <= 0) return 0
  return Math.min(FIRST_WAIT_MS * 2 ** Math.min(failures - 1, 30), MAX_WAIT_MS)
}

/** Milliseconds still to wait before the next attempt (0: may try now). */
export function waitLeftMs(failures: number, lastFailedAt: number | null, now: number): number {
  if (!failures || lastFailedAt === null) return 0
  return Math.max(0, lastFailedAt + backoffMs(failures) - now)
}

const MAX_UNKNOWN = 10_000

/** Failures against ids that name no reader, bounded so an enumeration cannot grow it without end. */
export class UnknownReaderFailures {
  private readonly failures = new Map<number, { count: number; at: number }>()

  get(id: number): { count: number; at: number } | undefined {
    return this.failures.get(id)
  }

  record(id: number, at: number): void {
    const count = (this.failures.get(id)?.count ?? 0) + 1
    this.failures.delete(id)
    if (this.failures.size >= MAX_UNKNOWN) this.failures.delete(this.failures.keys().next().value!)
    this.failures.set(id, { count, at })
  }
}
