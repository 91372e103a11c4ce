import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { DataFolder } from '../config/dataFolder'

/**
 * Who has a data folder's case database open, across processes. SQLite copes with many connections,
 * but a restore swaps the file itself: a process still holding the old file would keep writing into
 * the renamed `...before-restore-...` copy and its acknowledged saves would vanish from the live
 * database. So every process that opens the store leaves one small file per pid in `holders/`, and a
 * restore first takes `restore.lock`, then refuses while anyone else is listed.
 *
 * The two sides order their steps the same way round (an opener writes its file, then looks for the
 * lock; a restorer takes the lock, then looks for files), so at least one of them always sees the
 * other: an opener never slips in unseen while a file is swapped.
 */

export type HolderKind = 'app' | 'web' | 'cli'

export interface Holder {
  pid: number
  kind: HolderKind
  host: string
  since: string
  /** what the process is doing, for the refusal message (`cxr-lens import`, `browser mode`) */
  what: string
  /** the process's start time where the OS tells it (Linux), so a reused pid is not taken for the holder */
  started?: string | null
}

/** How long an opener waits for a restore to finish (a restore is a file copy: seconds at most). */
const RESTORE_WAIT_MS = 60_000
const POLL_MS = 50

export const holdersDir = (dataDir: string) => new DataFolder(dataDir).holders
export const restoreLockPath = (dataDir: string) => new DataFolder(dataDir).restoreLock

const sleepCell = new Int32Array(new SharedArrayBuffer(4))
/** A synchronous pause: opening the store is synchronous everywhere (CLI context, core, tests). */
function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms)
}

/** Linux: the start time in clock ticks since boot (field 22 of /proc/PID/stat); null elsewhere or when gone. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}

/** Alive, or on another host (a shared folder) where we cannot tell and must assume so. */
export function isAlive(holder: Pick<Holder, 'pid' | 'host' | 'started'>): boolean {
  if (holder.host !== hostname()) return true
  if (holder.pid === process.pid) return true
  try {
    process.kill(holder.pid, 0)
  } catch (error) {
    // EPERM: the process exists but belongs to another user; it still holds the file.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  // After a crash and a reboot the pid may belong to an unrelated process now.
  const now = holder.started ? processStart(holder.pid) : null
  return !(holder.started && now && now !== holder.started)
}

function me(kind: HolderKind, what: string): Holder {
  return { pid: process.pid, kind, host: hostname(), since: new Date().toISOString(), what, started: processStart(process.pid) }
}

function parseHolder(text: string): Holder | null {
  try {
    const value = JSON.parse(text) as Partial<Holder>
    if (!Number.isInteger(value.pid) || typeof value.kind !== 'string' || typeof value.host !== 'string') return null
    const started = typeof value.started === 'string' ? value.started : null
    return {
      pid: value.pid!,
      kind: value.kind as HolderKind,
      host: value.host,
      since: String(value.since ?? ''),
      what: String(value.what ?? value.kind),
      started,
    }
  } catch {
    return null
  }
}

function describe(holder: Holder): string {
  const where = holder.host === hostname() ? '' : ` on ${holder.host}`
  return `pid ${holder.pid}${where} (${holder.kind}: ${holder.what}, since ${holder.since})`
}

export function describeHolders(holders: Holder[]): string {
  return holders.map(describe).join(', ')
}

/** A file written whole or not at all: readers never see half of it. */
function writeAtomic(path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`
  writeFileSync(temp, text)
  renameSync(temp, path)
}

/** The live holders of a data folder's database, except `exceptPid`; stale entries (dead pids) are removed. */
export function liveHolders(dataDir: string, exceptPid: number | null = process.pid): Holder[] {
  let names: string[]
  try {
    names = readdirSync(holdersDir(dataDir))
  } catch {
    return []
  }
  const live: Holder[] = []
  for (const name of names) {
    if (!name.endsWith('.json')) continue
    const path = join(holdersDir(dataDir), name)
    let holder: Holder | null
    try {
      holder = parseHolder(readFileSync(path, 'utf8'))
    } catch {
      continue // removed meanwhile
    }
    if (!holder) {
      // Unreadable: a crash between create and rename cannot leave one (the rename is atomic), so
      // this is debris; remove it once it is old enough not to be someone's file in the making.
      if (ageMs(path) > 10_000) rmSync(path, { force: true })
      continue
    }
    if (!isAlive(holder)) {
      rmSync(path, { force: true })
      continue
    }
    if (holder.pid !== exceptPid) live.push(holder)
  }
  return live.sort((a, b) => a.pid - b.pid)
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs
  } catch {
    return 0
  }
}

function readLock(dataDir: string): Holder | 'missing' | 'garbled' {
  let text: string
  try {
    text = readFileSync(restoreLockPath(dataDir), 'utf8')
  } catch {
    return 'missing'
  }
  return parseHolder(text) ?? 'garbled'
}

/** The restore in progress in another live process, if any; a dead one's lock is removed. */
function activeRestore(dataDir: string): Holder | null {
  const lock = readLock(dataDir)
  if (lock === 'missing') return null
  if (lock === 'garbled') {
    // Just created and not yet written (a restore is starting), or debris of a writer that died
    // between the two steps: wait for the first, clear the second.
    if (ageMs(restoreLockPath(dataDir)) < 10_000) return { pid: 0, kind: 'cli', host: hostname(), since: '', what: 'restore starting' }
    rmSync(restoreLockPath(dataDir), { force: true })
    return null
  }
  if (lock.pid === process.pid) return null
  if (!isAlive(lock)) {
    rmSync(restoreLockPath(dataDir), { force: true })
    return null
  }
  return lock
}

/** Per process: a process that opens the same folder twice (a test, core plus CLI) stays listed until both close. */
const registered = new Map<string, { count: number; path: string }>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // A normal exit removes the files at once; a kill -9 leaves them, and the dead pid marks them stale.
  process.on('exit', () => {
    for (const { path } of registered.values()) rmSync(path, { force: true })
  })
}

/**
 * Lists this process as holding the database in `dataDir`, first waiting for a restore another
 * process is running. Returns the release function (idempotent). Call before opening the store.
 */
export function registerHolder(dataDir: string, kind: HolderKind, what: string = kind, waitMs = RESTORE_WAIT_MS): () => void {
  const current = registered.get(dataDir)
  if (current) {
    current.count++
  } else {
    mkdirSync(holdersDir(dataDir), { recursive: true })
    const path = join(holdersDir(dataDir), `${process.pid}.json`)
    const holder = me(kind, what)
    const deadline = Date.now() + waitMs
    for (;;) {
      writeAtomic(path, JSON.stringify(holder))
      const restore = activeRestore(dataDir)
      if (!restore) break
      rmSync(path, { force: true }) // step aside so the restore can proceed
      if (Date.now() > deadline) {
        throw new Error(`The case database in ${dataDir} is being restored by ${describe(restore)}; try again when it has finished`)
      }
      sleepSync(POLL_MS)
    }
    registered.set(dataDir, { count: 1, path })
    installExitHook()
  }
  let released = false
  return () => {
    if (released) return
    released = true
    const entry = registered.get(dataDir)
    if (!entry) return
    if (--entry.count > 0) return
    registered.delete(dataDir)
    rmSync(entry.path, { force: true })
  }
}

export class DatabaseInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holders: Holder[],
  ) {
    super(
      `The case database in ${dataDir} is open in another process: ${describeHolders(holders)}. ` +
        `Restoring now would leave its saves in the replaced file. Close ${holders.length > 1 ? 'them' : 'it'} and try again` +
        (holders.some((h) => h.kind !== 'cli') ? ", or restore from that app's Backups dialog" : '') +
        '; nothing was changed.',
    )
    this.name = 'DatabaseInUseError'
  }
}

/**
 * Runs `swap` (a restore) while no other process holds the database: takes `restore.lock` (new
 * openers wait for it), refuses with DatabaseInUseError when another process is listed, and always
 * releases the lock. The calling process may itself hold the database (the app's own restore).
 */
export function withRestoreLock<T>(dataDir: string, kind: HolderKind, what: string, swap: () => T): T {
  mkdirSync(dataDir, { recursive: true })
  const lockPath = restoreLockPath(dataDir)
  const self = me(kind, what)
  let fd: number | null = null
  for (let attempt = 0; fd === null; attempt++) {
    try {
      fd = openSync(lockPath, 'wx')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw error
      const other = activeRestore(dataDir)
      if (other) throw new Error(`Another restore of ${dataDir} is running: ${describe(other)}; nothing was changed.`)
      rmSync(lockPath, { force: true }) // our own leftover or a dead process's
    }
  }
  try {
    writeSync(fd, JSON.stringify(self))
    closeSync(fd)
    fd = null
    const others = liveHolders(dataDir, process.pid)
    if (others.length) throw new DatabaseInUseError(dataDir, others)
    return swap()
  } finally {
    if (fd !== null) closeSync(fd)
    rmSync(lockPath, { force: true })
  }
}
