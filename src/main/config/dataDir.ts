import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { DataFolder } from './dataFolder'

export const PRODUCT_NAME = 'CXR Lens'

/**
 * Where Electron's app.getPath('userData') points for this product, computed without Electron so the
 * CLI and browser mode open the same database as the desktop app.
 */
export function defaultUserDataDir(platform = process.platform, env = process.env): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), PRODUCT_NAME)
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', PRODUCT_NAME)
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), PRODUCT_NAME)
}

/** `--data-dir DIR` beats `CXR_LENS_DATA`, which beats the user data folder. */
export function resolveDataDir(argv: readonly string[], env = process.env, userDataDir = defaultUserDataDir()): string {
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
