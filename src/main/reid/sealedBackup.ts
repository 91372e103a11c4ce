import { copyFileSync, constants, existsSync, statSync } from 'node:fs'
import { sealedPath } from '../config/reidentification'

/**
 * Copies the sealed re-identification file beside a backup (`<backup>.reidentification.sealed`),
 * only when asked: backups are shared more widely than the workstation, so the link stays out of
 * them by default, although it is sealed. Returns the copy, or null when there is nothing to copy.
 */
export function copySealedBeside(dataDir: string, backupFile: string): string | null {
  const sealed = sealedPath(dataDir)
  if (!existsSync(sealed) || statSync(sealed).size === 0) return null
  const copy = `${backupFile}.reidentification.sealed`
  copyFileSync(sealed, copy, constants.COPYFILE_EXCL)
  return copy
}
