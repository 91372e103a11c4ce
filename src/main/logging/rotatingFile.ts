/**
 * A log file that rotates by size: cxr-lens.log, then cxr-lens.log.1 … .N (oldest dropped). Writes
 * are synchronous appends, so a line logged just before a crash or a kill -9 is on disk, and several
 * processes (app, CLI, workers) can append to the same file (O_APPEND keeps their lines whole).
 */
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

export interface RotationOptions {
  maxBytes?: number
  /** rotated files kept besides the current one */
  keep?: number
}

export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024
export const DEFAULT_KEEP = 5

export class RotatingFile {
  private fd: number | null = null
  private size = 0
  private readonly maxBytes: number
  private readonly keep: number

  constructor(
    readonly file: string,
    options: RotationOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
    this.keep = options.keep ?? DEFAULT_KEEP
    mkdirSync(dirname(file), { recursive: true })
    this.open()
  }

  private open(): void {
    // Group-writable: with a per-machine log folder, every user of the workstation appends to one file.
    this.fd = openSync(this.file, 'a', 0o664)
    this.size = fstatSync(this.fd).size
  }

  /** Never throws: a full disk or a revoked permission must not fail the work being logged. */
  write(line: string): void {
    if (this.fd === null) return
    const bytes = Buffer.from(line)
    try {
      if (this.size > 0 && this.size + bytes.length > this.maxBytes) this.rotate(bytes.length)
      if (this.fd === null) return
      writeSync(this.fd, bytes)
      this.size += bytes.length
    } catch {
      // dropped: there is nowhere better to say so
    }
  }

  private rotate(incoming: number): void {
    closeSync(this.fd!)
    this.fd = null
    // Several processes append here: rotate only when the file itself (not just our count) is full;
    // when another process rotated it already, this one just reopens the new file.
    const current = statSync(this.file, { throwIfNoEntry: false })?.size ?? 0
    if (current > 0 && current + incoming > this.maxBytes) {
      try {
        rmSync(`${this.file}.${this.keep}`, { force: true })
        for (let n = this.keep - 1; n >= 1; n--) {
          if (statSync(`${this.file}.${n}`, { throwIfNoEntry: false })) renameSync(`${this.file}.${n}`, `${this.file}.${n + 1}`)
        }
        renameSync(this.file, `${this.file}.1`)
      } catch {
        // A concurrent rotation won the race; appending to whatever file is current is still right.
      }
    }
    this.open()
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd)
    this.fd = null
  }
}
