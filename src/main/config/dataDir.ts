import { existsSync } from 'node:fs'
import { resolve, win32 } from 'node:path'
import { DATABASE_FILE, DataFolder } from './dataFolder'
import { legacyRoamingDataDir, localUserDataDir } from './machinePaths'
import { machinePolicy, policyDataDir } from './policy'

export const PRODUCT_NAME = 'CXR Lens'

/**
 * The per-user data folder, computed without Electron so the CLI and browser mode open the same
 * database as the desktop app: Linux ~/.config/CXR Lens, macOS ~/Library/Application Support/CXR Lens,
 * Windows %LOCALAPPDATA%\CXR Lens (local, not roaming). A Windows user whose database is still in
 * the roaming folder of an earlier version keeps it there until they move it: nothing is left behind.
 */
export function defaultUserDataDir(platform = process.platform, env = process.env, exists: (path: string) => boolean = existsSync): string {
  const local = localUserDataDir(platform, env)
  if (platform !== 'win32') return local
  const roaming = legacyRoamingDataDir(env)
  return !exists(win32.join(local, DATABASE_FILE)) && exists(win32.join(roaming, DATABASE_FILE)) ? roaming : local
}

/**
 * The machine policy's data folder when it sets one (--data-dir or CXR_LENS_DATA naming another is
 * refused); else `--data-dir DIR` beats `CXR_LENS_DATA`, which beats the user data folder.
 */
export function resolveDataDir(argv: readonly string[], env = process.env, userDataDir = defaultUserDataDir()): string {
  const fixed = policyDataDir(machinePolicy(env), argv, env, () => userDataDir)
  if (fixed) return fixed
  const flag = argv.findIndex((arg) => arg === '--data-dir' || arg.startsWith('--data-dir='))
  if (flag >= 0) {
    const value = argv[flag].includes('=') ? argv[flag].slice('--data-dir='.length) : argv[flag + 1]
    if (!value) throw new Error('--data-dir needs a folder')
    return resolve(value)
  }
  if (env.CXR_LENS_DATA) return resolve(env.CXR_LENS_DATA)
  return userDataDir
}

/** Shorthand for the data folder's database file (DataFolder owns the name). */
export function databasePath(dataDir: string): string {
  return new DataFolder(dataDir).database
}
