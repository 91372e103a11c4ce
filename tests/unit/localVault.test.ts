import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LocalVault, VaultError } from '../../src/main/reid/localVault'
import { plaintextIn } from './plaintextSearch'

describe('local vault', () => {
  it('opens what it sealed, with the same context only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-'))
    const vault = LocalVault.open(dir)
    const sealed = vault.seal('s3cret-Päss', 'pacs-secret:orthanc')
    expect(plaintextIn(sealed, ['s3cret-Päss'])).toEqual([])
    expect(vault.open(sealed, 'pacs-secret:orthanc')).toBe('s3cret-Päss')
    expect(() => vault.open(sealed, 'pacs-secret:other')).toThrow(VaultError)
    // a second opening of the folder reads the same key
    expect(LocalVault.open(dir).openJson(vault.sealJson({ study: '1.2.3' }, 'case-uids:1'), 'case-uids:1')).toEqual({ study: '1.2.3' })
    if (process.platform !== 'win32') expect(statSync(join(dir, 'vault.key')).mode & 0o077).toBe(0)
  })

  it('refuses another key, an altered value and a damaged key file', () => {
    const a = LocalVault.open(mkdtempSync(join(tmpdir(), 'vault-')))
    const b = LocalVault.open(mkdtempSync(join(tmpdir(), 'vault-')))
    const sealed = a.seal('x', 'c')
    expect(() => b.open(sealed, 'c')).toThrow(/does not open/)
    const parts = sealed.split(':')
    parts[2] = Buffer.from('y').toString('base64')
    expect(() => a.open(parts.join(':'), 'c')).toThrow(/does not open/)
    expect(() => a.open('plaintext', 'c')).toThrow(/not in the vault's format/)
    const dir = mkdtempSync(join(tmpdir(), 'vault-'))
    writeFileSync(join(dir, 'vault.key'), 'short')
    expect(() => LocalVault.open(dir)).toThrow(/64 hexadecimal/)
    expect(readFileSync(join(dir, 'vault.key'), 'utf8')).toBe('short')
  })
})
