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

  it('matches where Electron puts userData for "CXR Lens"', () => {
    expect(defaultUserDataDir('linux', { XDG_CONFIG_HOME: '/cfg' })).toBe('/cfg/CXR Lens')
    expect(defaultUserDataDir('win32', { APPDATA: 'C:\\Users\\r\\AppData\\Roaming' })).toMatch(/Roaming.CXR Lens$/)
    expect(defaultUserDataDir('darwin', {})).toMatch(/Library\/Application Support\/CXR Lens$/)
    expect(databasePath('/d')).toBe('/d/cxr-lens.sqlite')
  })
})
