/**
 * A minimal ZIP writer (PKWARE APPNOTE 6.3: local headers, deflate, central directory, no ZIP64):
 * enough for a diagnostics bundle of a few MB that any unzip, Windows Explorer or Python reads.
 * No zip package is a dependency, and node:zlib has both deflateRaw and crc32.
 */
import { crc32, deflateRawSync } from 'node:zlib'

export interface ZipEntry {
  name: string
  data: Uint8Array | string
  modified?: Date
}

const MAX_ZIP32 = 0xffffffff

/** DOS date and time, as ZIP headers store them (2-second resolution, local time). */
function dosTime(date: Date): { time: number; day: number } {
  const year = Math.max(1980, date.getFullYear())
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    day: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  }
}

export function zip(entries: ZipEntry[]): Buffer {
  const parts: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  const seen = new Set<string>()
  for (const entry of entries) {
    // Forward slashes, no absolute or parent paths: what is unpacked stays in the target folder.
    const name = entry.name.replace(/\\/g, '/')
    if (!name || name.startsWith('/') || name.split('/').includes('..') || seen.has(name))
      throw new Error(`zip entry name ${JSON.stringify(name)} is not allowed`)
    seen.add(name)
    const raw = typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : Buffer.from(entry.data)
    const packed = deflateRawSync(raw)
    const stored = packed.length >= raw.length
    const body = stored ? raw : packed
    const crc = crc32(raw)
    const nameBytes = Buffer.from(name, 'utf8')
    const { time, day } = dosTime(entry.modified ?? new Date())
    if (offset + 30 + nameBytes.length + body.length > MAX_ZIP32) throw new Error('diagnostics bundle larger than 4 GiB')
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4) // version needed: 2.0 (deflate)
    local.writeUInt16LE(0x0800, 6) // UTF-8 names
    local.writeUInt16LE(stored ? 0 : 8, 8)
    local.writeUInt16LE(time, 10)
    local.writeUInt16LE(day, 12)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(body.length, 18)
    local.writeUInt32LE(raw.length, 22)
    local.writeUInt16LE(nameBytes.length, 26)
    local.writeUInt16LE(0, 28)
    const header = Buffer.alloc(46)
    header.writeUInt32LE(0x02014b50, 0)
    header.writeUInt16LE(0x0314, 4) // made by: Unix, 2.0
    header.writeUInt16LE(20, 6)
    header.writeUInt16LE(0x0800, 8)
    header.writeUInt16LE(stored ? 0 : 8, 10)
    header.writeUInt16LE(time, 12)
    header.writeUInt16LE(day, 14)
    header.writeUInt32LE(crc, 16)
    header.writeUInt32LE(body.length, 20)
    header.writeUInt32LE(raw.length, 24)
    header.writeUInt16LE(nameBytes.length, 28)
    header.writeUInt32LE((0o100644 << 16) >>> 0, 38) // a regular file, rw-r--r--
    header.writeUInt32LE(offset, 42)
    parts.push(local, nameBytes, body)
    central.push(header, nameBytes)
    offset += local.length + nameBytes.length + body.length
  }
  const directory = Buffer.concat(central)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...parts, directory, end])
}
