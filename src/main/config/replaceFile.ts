import { randomBytes } from 'node:crypto'
import { renameSync, rmSync, writeFileSync, type WriteFileOptions } from 'node:fs'
import { rename, rm, writeFile } from 'node:fs/promises'

/**
 * Writes a file beside its final name, then renames it over: a reader never sees half a file, and two
 * processes writing the same file at once (two training runs on one data folder, two renderers of one
 * image) each leave a whole one. The temporary name is the file's own plus random bytes, so neither
 * renames the other's half-written file away; it is removed when the write fails.
 */
const temporaryOf = (file: string) => `${file}.${randomBytes(6).toString('hex')}.tmp`

export async function replaceFile(file: string, data: Uint8Array | string, options?: WriteFileOptions): Promise<void> {
  const tmp = temporaryOf(file)
  try {
    await writeFile(tmp, data, options)
    await rename(tmp, file)
  } catch (error) {
    await rm(tmp, { force: true })
    throw error
  }
}

export function replaceFileSync(file: string, data: Uint8Array | string, options?: WriteFileOptions): void {
  const tmp = temporaryOf(file)
  try {
    writeFileSync(tmp, data, options)
    renameSync(tmp, file)
  } catch (error) {
    rmSync(tmp, { force: true })
    throw error
  }
}
