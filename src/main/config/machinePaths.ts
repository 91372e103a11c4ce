/**
 * Per-machine locations an IT department manages, per platform. Windows paths are built with
 * path.win32 so they are right (and testable) whatever platform computes them.
 */
import { homedir } from 'node:os'
import { posix, win32 } from 'node:path'

export const PRODUCT_FOLDER = 'CXR Lens'

const programData = (env: NodeJS.ProcessEnv) => env.ProgramData ?? env.PROGRAMDATA ?? 'C:\\ProgramData'

/** Where IT places the machine policy (CXR_LENS_POLICY=path overrides it). */
export function machinePolicyPath(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === 'win32') return win32.join(programData(env), PRODUCT_FOLDER, 'config.json')
  if (platform === 'darwin') return posix.join('/Library/Application Support', PRODUCT_FOLDER, 'config.json')
  return '/etc/cxr-lens/config.json'
}

/** The data folder shared by every user of the machine (policy `dataFolder: {"scope": "machine"}`). */
export function machineDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === 'win32') return win32.join(programData(env), PRODUCT_FOLDER, 'data')
  if (platform === 'darwin') return posix.join('/Library/Application Support', PRODUCT_FOLDER, 'data')
  return '/var/lib/cxr-lens'
}

/** The per-machine log folder; used when it exists and is writable (the installer or IT creates it). */
export function machineLogDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === 'win32') return win32.join(programData(env), PRODUCT_FOLDER, 'logs')
  if (platform === 'darwin') return posix.join('/Library/Logs', PRODUCT_FOLDER)
  return '/var/log/cxr-lens'
}

/**
 * The per-user data folder in the *local* profile. On Windows that is %LOCALAPPDATA%, never
 * %APPDATA%: a roaming profile would copy the database, derived images and backups to every logon.
 */
export function localUserDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === 'win32')
    return win32.join(env.LOCALAPPDATA ?? win32.join(env.USERPROFILE ?? homedir(), 'AppData', 'Local'), PRODUCT_FOLDER)
  if (platform === 'darwin') return posix.join(env.HOME ?? homedir(), 'Library', 'Application Support', PRODUCT_FOLDER)
  return posix.join(env.XDG_CONFIG_HOME ?? posix.join(env.HOME ?? homedir(), '.config'), PRODUCT_FOLDER)
}

/** Where versions before issue 20 kept a Windows user's data (roaming); still used when only it holds a database. */
export function legacyRoamingDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return win32.join(env.APPDATA ?? win32.join(env.USERPROFILE ?? homedir(), 'AppData', 'Roaming'), PRODUCT_FOLDER)
}
