import { existsSync, rmSync, statSync } from 'node:fs'
import type { ReidentificationStatus } from '../../shared/domain'
import { legacyTablePath, readReidConfig, removeReidConfig, sealedPath, writeReidConfig } from '../config/reidentification'
import { readLegacyReidentification } from '../store/legacyReidentificationRepository'
import { SealedWriter, type ReidRecord } from './sealedLog'
import { recipientFromPem, type RecipientKey } from './sealing'

/**
 * The site's re-identification link, off by default. When a site turns it on, each imported
 * instance's identifiers are sealed to the data protection officer's public key; nothing in the data
 * folder holds them in plaintext.
 */

/** The configured recipient, or null when re-identification is off. */
export function configuredRecipient(dataDir: string): RecipientKey | null {
  const config = readReidConfig(dataDir)
  if (!config) return null
  const recipient = recipientFromPem(config.publicKey, `the public key in ${dataDir}'s re-identification setting`)
  if (recipient.kid !== config.keyId)
    throw new Error(
      `the re-identification setting in ${dataDir} names key ${config.keyId}, but its public key is ${recipient.kid}; run cxr-lens reid enable --public-key FILE again`,
    )
  return recipient
}

/**
 * A writer for the sealed file when re-identification is on, else null (then nothing is written at
 * all). A plaintext table from an earlier version found beside a configured key is sealed first.
 */
export function openReidWriter(dataDir: string): SealedWriter | null {
  const recipient = configuredRecipient(dataDir)
  if (!recipient) return null
  sealLegacyTable(dataDir, recipient)
  return new SealedWriter(sealedPath(dataDir), recipient)
}

function legacyRecord(row: { pseudonym: string; kind: string; original: string; createdAt: string }): ReidRecord {
  let original: ReidRecord['original']
  try {
    original = JSON.parse(row.original) as ReidRecord['original']
  } catch {
    // Kept whole rather than dropped: the officer can still read what was there.
    original = { patientName: row.original }
  }
  return row.kind === 'instance'
    ? { source: 'legacy', at: row.createdAt, image: row.pseudonym, original }
    : { source: 'legacy', at: row.createdAt, patient: row.pseudonym, original }
}

/**
 * Seals every row of a plaintext table from an earlier version, then removes the plaintext (with its
 * -wal and -shm). The plaintext goes only after every row is on disk sealed; a failure leaves it.
 */
export function sealLegacyTable(dataDir: string, recipient: RecipientKey): { sealed: number; removed: string | null } {
  const legacy = legacyTablePath(dataDir)
  if (!existsSync(legacy)) return { sealed: 0, removed: null }
  const rows = readLegacyReidentification(legacy)
  const writer = new SealedWriter(sealedPath(dataDir), recipient)
  try {
    for (const row of rows) writer.append(legacyRecord(row))
  } finally {
    writer.close()
  }
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(legacy + suffix, { force: true })
  return { sealed: rows.length, removed: legacy }
}

/** Turns sealing on with the officer's public key (PEM text); seals a plaintext table left by an earlier version. */
export function enableReidentification(
  dataDir: string,
  publicPem: string,
  source: string,
  now = new Date(),
): { keyId: string; algorithm: string; legacySealed: number } {
  const recipient = recipientFromPem(publicPem, source)
  writeReidConfig(dataDir, {
    enabled: true,
    publicKey: recipient.pem,
    keyId: recipient.kid,
    algorithm: recipient.alg,
    enabledAt: now.toISOString(),
  })
  const { sealed } = sealLegacyTable(dataDir, recipient)
  return { keyId: recipient.kid, algorithm: recipient.alg, legacySealed: sealed }
}

/** Turns it off; the sealed file already written stays (only the officer can read or judge it). */
export function disableReidentification(dataDir: string): boolean {
  return removeReidConfig(dataDir)
}

/** What `cxr-lens check`, `reid status` and app:info report; a plaintext table is a loud warning. */
export function reidentificationStatus(dataDir: string): ReidentificationStatus {
  const legacy = legacyTablePath(dataDir)
  const sealed = sealedPath(dataDir)
  const sealedBytes = statSync(sealed, { throwIfNoEntry: false })?.size ?? 0
  const legacyPlaintext = existsSync(legacy) ? legacy : null
  let config: ReturnType<typeof readReidConfig> = null
  let problem: string | null = null
  try {
    config = readReidConfig(dataDir)
    if (config) configuredRecipient(dataDir)
  } catch (error) {
    problem = (error as Error).message
  }
  const warnings: string[] = []
  if (legacyPlaintext) {
    warnings.push(
      `PLAINTEXT PATIENT IDENTIFIERS: ${legacyPlaintext} (the re-identification table of an earlier CXR Lens) holds patient names, IDs and birth dates unencrypted. Seal it to the data protection officer's public key with: cxr-lens reid seal --public-key DPO-public.pem --data-dir ${dataDir}`,
    )
  }
  if (problem) warnings.push(`re-identification setting unusable: ${problem}`)
  return {
    enabled: config !== null,
    keyId: config?.keyId ?? null,
    sealedFile: sealedBytes > 0 ? sealed : null,
    sealedBytes,
    legacyPlaintext,
    warnings,
  }
}
