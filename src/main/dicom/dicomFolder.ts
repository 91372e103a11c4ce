import { readdirSync } from 'node:fs'
import { sep } from 'node:path'
import type { ImportFailure } from '../../shared/domain'
import { describeFsError, entryName } from '../cases/regularFile'

export interface FolderEntry {
  /** bytes of the path: a name that is not UTF-8 is still opened by what it is */
  path: Buffer
  /** relative to the chosen folder, for messages (bytes that are not UTF-8 as \xNN) */
  name: string
}

/**
 * Every entry under the folder that is not a folder, in name order. Symbolic links to folders are
 * not followed (no loops); everything else is yielded and the reader refuses what is not a regular
 * file, so a FIFO or a socket in the folder is reported instead of silently skipped. A subfolder
 * that cannot be listed is reported and the rest walked.
 */
export function walkFolder(dir: Buffer, prefix: string, failed: ImportFailure[], out: FolderEntry[] = []): FolderEntry[] {
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true, encoding: 'buffer' })
  } catch (error) {
    failed.push({ name: prefix || '.', reason: `folder ${describeFsError(error)}` })
    return out
  }
  const named = entries.map((entry) => ({ entry, ...entryName(entry.name) })).sort((a, b) => a.name.localeCompare(b.name))
  for (const { entry, name } of named) {
    const path = Buffer.concat([dir, Buffer.from(sep), entry.name])
    const relative = prefix ? `${prefix}${sep}${name}` : name
    if (entry.isDirectory()) walkFolder(path, relative, failed, out)
    else out.push({ path, name: relative })
  }
  return out
}
