import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs'
import { open, stat } from 'node:fs/promises'

/**
 * Reading files an importer was pointed at, which may be anything: a FIFO named x.png (a plain
 * read blocks forever), a symlink to /dev/zero (a plain read never ends), a socket, a folder, a
 * 40 GB file. Only regular files are read, symlinks followed only when they end at one, and never
 * more than a cap. Every refusal is a FileRefusedError whose reason is a sentence, not a code.
 */

/** Per-file cap: above the largest real CR/DX DICOM (a 43×43 cm detector at 100 µm, 16 bits, is ~37 MiB uncompressed). */
export const MAX_FILE_BYTES = 256 * 1024 * 1024

export class FileRefusedError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`)
    this.name = 'FileRefusedError'
  }
}

/** What a non-regular file is, in words; null for a regular file. */
export function kindOf(stats: Stats): string | null {
  if (stats.isFile()) return null
  if (stats.isDirectory()) return 'a folder'
  if (stats.isFIFO()) return 'a FIFO'
  if (stats.isSocket()) return 'a socket'
  if (stats.isCharacterDevice()) return 'a character device'
  if (stats.isBlockDevice()) return 'a block device'
  return 'not a plain file'
}

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'does not exist (or is a symbolic link to nothing)',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'is a symbolic link loop',
  ENAMETOOLONG: 'its path is too long',
  ENOTDIR: 'a folder in its path is not a folder',
  EISDIR: 'is a folder',
  ENXIO: 'is not a regular file (a socket or a device without a reader)',
  EMFILE: 'cannot be opened now (too many open files)',
  ENFILE: 'cannot be opened now (too many open files)',
  EIO: 'cannot be read (input/output error)',
  EBUSY: 'cannot be read (the device is busy)',
}

/** An fs error as words; the errno code kept in brackets for whoever digs further. */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code && ERRNO_WORDS[code]) return `${ERRNO_WORDS[code]} (${code})`
  if (code) return `cannot be read (${code})`
  const message = error instanceof Error ? error.message : ''
  return message ? `cannot be read: ${message}` : 'cannot be read (no reason given by the system)'
}

function mib(bytes: number): string {
  return bytes < 1024 * 1024 ? `${bytes} bytes` : `${Math.round(bytes / 1024 / 1024)} MiB`
}

function refuseKind(name: string, stats: Stats): void {
  const kind = kindOf(stats)
  if (kind) throw new FileRefusedError(name, `not a regular file (${kind})`)
}

function refuseSize(name: string, size: number, maxBytes: number): void {
  if (size > maxBytes) throw new FileRefusedError(name, `larger than the ${mib(maxBytes)} limit (${mib(size)})`)
}

// O_NONBLOCK: opening a FIFO must return at once even when something swapped a file for one
// between the stat and the open; the descriptor's fstat then refuses it. (Not defined on Windows,
// where there are no FIFOs to open.)
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0)

/**
 * One buffer of the stat'ed size plus a byte, filled by reads until end of file: no chunk list to
 * concatenate (a 256 MiB file must not cost 512 MiB), and a file that grew since the stat is still
 * read to its end, up to the cap, so one growing past the cap is refused.
 */
class Filling {
  buffer: Buffer
  total = 0

  constructor(
    private readonly name: string,
    size: number,
    private readonly maxBytes: number,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.min(size, maxBytes) + 1)
  }

  /** Takes the count a read returned; true while there may be more. */
  more(bytesRead: number): boolean {
    if (bytesRead === 0) return false
    this.total += bytesRead
    refuseSize(this.name, this.total, this.maxBytes)
    if (this.total === this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.buffer.length * 2, this.maxBytes + 1))
      this.buffer.copy(grown, 0, 0, this.total)
      this.buffer = grown
    }
    return true
  }

  done(allowEmpty = false): Buffer {
    if (this.total === 0 && !allowEmpty) throw new FileRefusedError(this.name, 'is empty')
    return this.buffer.subarray(0, this.total)
  }
}

export interface ReadOptions {
  /** the name used in messages (the file's name relative to what the user chose); defaults to the path */
  name?: string
  maxBytes?: number
  /** an empty file is refused unless this is set */
  allowEmpty?: boolean
}

/**
 * The size of a file, if it is one that readRegularFile would read (a regular file under the cap);
 * otherwise throws the same refusal. Stat first, so a device is never even opened (opening a tape
 * drive rewinds it).
 */
export async function regularFileSize(path: string | Buffer, options: ReadOptions = {}): Promise<number> {
  const name = options.name ?? String(path)
  let stats: Stats
  try {
    stats = await stat(path)
  } catch (error) {
    throw new FileRefusedError(name, describeFsError(error))
  }
  refuseKind(name, stats)
  refuseSize(name, stats.size, options.maxBytes ?? MAX_FILE_BYTES)
  return stats.size
}

/** Reads a regular file whole: refused when it is anything else, larger than the cap, or empty. */
export async function readRegularFile(path: string | Buffer, options: ReadOptions = {}): Promise<Buffer> {
  const name = options.name ?? String(path)
  const maxBytes = options.maxBytes ?? MAX_FILE_BYTES
  await regularFileSize(path, options)
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(path, OPEN_FLAGS)
  } catch (error) {
    throw new FileRefusedError(name, describeFsError(error))
  }
  try {
    const stats = await handle.stat() // what was opened, which may not be what was stat'ed
    refuseKind(name, stats)
    refuseSize(name, stats.size, maxBytes)
    const into = new Filling(name, stats.size, maxBytes)
    while (into.more(await handle.read(into.buffer, into.total, into.buffer.length - into.total, null).then((r) => r.bytesRead)));
    return into.done(options.allowEmpty)
  } catch (error) {
    if (error instanceof FileRefusedError) throw error
    throw new FileRefusedError(name, describeFsError(error))
  } finally {
    await handle.close().catch(() => {})
  }
}

/** The same rules, synchronously, for the CSV readers (which parse before anything else runs). */
export function readRegularFileSync(path: string | Buffer, options: ReadOptions = {}): Buffer {
  const name = options.name ?? String(path)
  const maxBytes = options.maxBytes ?? MAX_FILE_BYTES
  let fd: number
  try {
    const stats = statSync(path)
    refuseKind(name, stats)
    refuseSize(name, stats.size, maxBytes)
    fd = openSync(path, OPEN_FLAGS)
  } catch (error) {
    if (error instanceof FileRefusedError) throw error
    throw new FileRefusedError(name, describeFsError(error))
  }
  try {
    const stats = fstatSync(fd)
    refuseKind(name, stats)
    refuseSize(name, stats.size, maxBytes)
    const into = new Filling(name, stats.size, maxBytes)
    while (into.more(readSync(fd, into.buffer, into.total, into.buffer.length - into.total, null)));
    return into.done(options.allowEmpty)
  } catch (error) {
    if (error instanceof FileRefusedError) throw error
    throw new FileRefusedError(name, describeFsError(error))
  } finally {
    closeSync(fd)
  }
}

/**
 * A directory entry's name as the importers report it. Node decodes names as UTF-8 and replaces
 * what is not, so the replaced name names no file (ENOENT); such names are listed with \xNN escapes
 * for the bytes that are not UTF-8, and `valid` is false.
 */
export function entryName(raw: Buffer): { name: string; valid: boolean } {
  const decoded = raw.toString('utf8')
  if (Buffer.from(decoded, 'utf8').equals(raw)) return { name: decoded, valid: true }
  let name = ''
  let i = 0
  while (i < raw.length) {
    // Take the longest valid UTF-8 run from i (at most 4 bytes a character), else escape one byte.
    let taken = false
    for (let n = Math.min(4, raw.length - i); n >= 1 && !taken; n--) {
      const piece = raw.subarray(i, i + n)
      const text = piece.toString('utf8')
      if (!text.includes('\ufffd') && Buffer.from(text, 'utf8').equals(piece)) {
        name += text
        i += n
        taken = true
      }
    }
    if (!taken) name += `\\x${raw[i++].toString(16).padStart(2, '0')}`
  }
  return { name, valid: false }
}

/** The one reason given for a file whose name is not UTF-8. */
export const NON_UTF8_NAME = 'its name is not valid UTF-8 (bytes shown as \\xNN); rename the file to import it'
