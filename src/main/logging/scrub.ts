/**
 * Log text without patient data. The logger is only ever given fixed messages and counts, but error
 * messages quote what a user gave (a file's path, a CSV field), and a DICOM folder or file name can
 * be a patient's name. So before anything reaches a log line: quoted values become "…", every
 * absolute path becomes a short hash (support can still tell two paths apart, nobody can read them),
 * and stack frames keep only the source file's name and line (our code, not user data).
 */
import { createHash } from 'node:crypto'

const MAX_TEXT = 2000

const hashOf = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 8)

/** Quoted spans: "…", '…', `…` and “…” (CSV fields, channel names, reader input quoted in messages). */
const QUOTED = /"[^"\n]*"|'[^'\n]*'|`[^`\n]*`|“[^”\n]*”/g

/**
 * An absolute path (POSIX, drive letter, UNC, file URL) runs until a colon-space, " (", ", ", a
 * semicolon, a quote or the end of the line: folder names have spaces ("Application Support"), so a
 * space alone does not end one.
 */
const PATH = /file:\/\/[^\s"'`]*|(?:(?<![\w.:/])\/(?!\/)|\b[A-Za-z]:[\\/]|\\\\)(?:(?!: | \(|, |;|["'`\n]).)*/g

/** "    at fn (/abs/path/file.ts:12:3)" keeps "fn (file.ts:12:3)". */
const FRAME = /^(\s+at .*?)(?:\(?)((?:file:\/\/)?(?:\/|[A-Za-z]:[\\/]|\\\\)[^()\n]*?)([^\\/()\n]+:\d+:\d+)\)?$/

export function scrubText(text: string): string {
  const lines = text
    .slice(0, MAX_TEXT)
    .split('\n')
    .map((line) => {
      const frame = FRAME.exec(line)
      if (frame) return `${frame[1]}(${frame[3]})`
      return line.replace(QUOTED, (q) => `${q[0]}…${q[q.length - 1]}`).replace(PATH, (p) => `<path ${hashOf(p.trimEnd())}>`)
    })
  return lines.join('\n') + (text.length > MAX_TEXT ? ` … (${text.length} characters)` : '')
}

export type LogFields = Record<string, string | number | boolean | null | undefined | string[] | number[] | Record<string, unknown>[]>

/** Every string anywhere in the fields goes through scrubText (numbers and booleans cannot carry names). */
export function scrubFields(fields: LogFields): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string') return scrubText(value)
    if (Array.isArray(value)) return value.slice(0, 100).map(scrub)
    if (value && typeof value === 'object')
      return Object.fromEntries(
        Object.entries(value)
          .slice(0, 50)
          .map(([k, v]) => [k, scrub(v)]),
      )
    return value
  }
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = scrub(value)
  return out
}
