import { describe, expect, it } from 'vitest'
import { resolve } from 'node:path'
import { databasePath, defaultUserDataDir, resolveDataDir } from '../../src/main/config/dataDir'

describe('data folder', () => {
  it('prefers --data-dir, then CXR_LENS_DATA, then the user data folder', () => {
    expect(resolveDataDir(['--data-dir', 'a'], { CXR_LENS_DATA: '/env' }, '/user')).toBe(resolve('a'))
    expect(resolveDataDir(['--data-dir=/b'], { CXR_LENS_DATA: '/env' }, '/user')).toBe('/b')
    expect(resolveDataDir([], { CXR_LENS_DATA: '/env' }, '/user')).toBe('/env')
    expect(resolveDataDir([], {}, '/user')).toBe('/user')
    expect(() => resolveDataDir(['--data-dir'], {}, '/user')).toThrow(/needs a folder/)
  })

  it("is per user in the local profile: Linux and macOS as Electron's userData, Windows %LOCALAPPDATA% (not roaming)", () => {
    expect(defaultUserDataDir('linux', { XDG_CONFIG_HOME: '/cfg' })).toBe('/cfg/CXR Lens')
    const windows = { APPDATA: 'C:\\Users\\r\\AppData\\Roaming', LOCALAPPDATA: 'C:\\Users\\r\\AppData\\Local' }
    expect(defaultUserDataDir('win32', windows, () => false)).toBe('C:\\Users\\r\\AppData\\Local\\CXR Lens')
    // A database an earlier version left in the roaming folder stays in use until it is moved: nothing is lost.
    const roamingOnly = (path: string) => path === 'C:\\Users\\r\\AppData\\Roaming\\CXR Lens\\cxr-lens.sqlite'
    expect(defaultUserDataDir('win32', windows, roamingOnly)).toBe('C:\\Users\\r\\AppData\\Roaming\\CXR Lens')
    expect(defaultUserDataDir('win32', windows, () => true)).toBe('C:\\Users\\r\\AppData\\Local\\CXR Lens')
    expect(defaultUserDataDir('darwin', {})).toMatch(/Library\/Application Support\/CXR Lens$/)
    expect(databasePath('/d')).toBe('/d/cxr-lens.sqlite')
  })
})
