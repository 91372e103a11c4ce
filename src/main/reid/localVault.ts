import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { DataFolder } from '../config/dataFolder'

/**
 * The installation's local vault: values the workstation itself must read back (a PACS password, a
 * case's original Study/Series/SOP Instance UIDs for sending results to the PACS) are kept sealed with
 * AES-256-GCM under a key that lives beside the database, never inside it (`vault.key`, mode 0600).
 * So the database, its backups and exports hold no plaintext identifiers or secrets; reading them needs
 * the key file too, which backups leave out.
 *
 * Unlike re-identification records (sealed to the data protection officer's public key, which this
 * workstation can never open), these are symmetric: the workstation opens what it sealed.
 *
 * Each value is bound to its context (AAD), so a sealed password copied into a case's UID column, or
 * one case's UIDs copied to another, fails to open instead of being misread.
 */

const PREFIX = 'v1'
const KEY_TEXT = /^[0-9a-f]{64}$/

export class VaultError extends Error {}

export class LocalVault {
  private constructor(private readonly key: Buffer) {}

  /** Opens the data folder's vault, making its key on first use. */
  static open(dataDir: string): LocalVault {
    const keyFile = new DataFolder(dataDir).vaultKey
    if (!existsSync(keyFile)) {
      mkdirSync(dirname(keyFile), { recursive: true })
      // 'wx': two processes making the key at once must not each write their own.
      try {
        writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' })
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
    }
    const text = readFileSync(keyFile, 'utf8').trim()
    if (!KEY_TEXT.test(text))
      throw new VaultError(`The vault key ${keyFile} is not 64 hexadecimal characters; restore it from the site's copy`)
    return new LocalVault(Buffer.from(text, 'hex'))
  }

  /** For tests and tools that hold a key in memory. */
  static fromKey(key: Buffer): LocalVault {
    if (key.length !== 32) throw new VaultError('a vault key is 32 bytes')
    return new LocalVault(Buffer.from(key))
  }

  /** `context` names what the value is (e.g. `pacs-secret:orthanc`, `case-uids:42`); it must be given again to open it. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    cipher.setAAD(Buffer.from(context, 'utf8'))
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return [PREFIX, iv.toString('base64'), ct.toString('base64'), cipher.getAuthTag().toString('base64')].join(':')
  }

  open(sealed: string, context: string): string {
    const parts = sealed.split(':')
    if (parts.length !== 4 || parts[0] !== PREFIX) throw new VaultError(`a sealed value for ${context} is not in the vault's format`)
    const [, iv, ct, tag] = parts.map((p, i) => (i === 0 ? Buffer.alloc(0) : Buffer.from(p, 'base64')))
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv)
      decipher.setAAD(Buffer.from(context, 'utf8'))
      decipher.setAuthTag(tag)
      return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8')
    } catch {
      throw new VaultError(`the sealed value for ${context} does not open with this installation's vault key (another key, or altered)`)
    }
  }

  /** JSON values (a case's UID triple) sealed the same way. */
  sealJson(value: unknown, context: string): string {
    return this.seal(JSON.stringify(value), context)
  }

  openJson<T>(sealed: string, context: string): T {
    return JSON.parse(this.open(sealed, context)) as T
  }
}
