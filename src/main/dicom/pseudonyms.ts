import { createHmac, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { machinePolicy } from '../config/policy'
import { openReidWriter } from '../reid/reidentification'
import type { SealedWriter } from '../reid/sealedLog'
import type { DecodedDicom } from './dicomDecode'
import { DataFolder } from '../config/dataFolder'

/**
 * De-identification keys (DICOM PS3.15 Basic Application Level Confidentiality Profile): patient
 * and instance identifiers become keyed-hash pseudonyms (HMAC-SHA256 with a per-installation secret),
 * so the same patient always maps to the same pseudonym while nothing identifying enters the case
 * database, its backups, logs or exports.
 *
 * The link back to the patient is off by default: then no re-identification data is written at all.
 * A site that turns it on (`cxr-lens reid enable`) gets each instance's identifiers sealed to its data
 * protection officer's public key (src/main/reid), which the workstation cannot read back.
 */
export class Pseudonymizer {
  private readonly key: Buffer
  private readonly sealed: SealedWriter | null

  constructor(dataDir: string, siteKey: string | undefined = machinePolicy().settings.pseudonymKey) {
    mkdirSync(dataDir, { recursive: true })
    this.key = siteKey ? readSiteKey(siteKey) : installationKey(new DataFolder(dataDir).pseudonymKey)
    this.sealed = openReidWriter(dataDir)
  }

  private derive(kind: string, value: string): string {
    return createHmac('sha256', this.key).update(`${kind}:${value}`).digest('hex').slice(0, 16)
  }

  /** The patient's pseudonym, from the patient ID (else name, else the file's hash). */
  patient(identity: DecodedDicom['identity'], fallback: string): string {
    const source = identity.patientId ?? identity.patientName ?? fallback
    return `anon-${this.derive('patient', source)}`
  }

  /** An image name that says nothing about the patient, stable for the same SOP instance. */
  image(sopInstanceUid: string | null, sha256: string): string {
    return `img-${this.derive('instance', sopInstanceUid ?? sha256)}.dcm`
  }

  /** The key a CXR Lens SR in the PACS is remembered by (pacs_sr_imports): nothing original is stored. */
  srKey(sopInstanceUid: string): string {
    return `sr-${this.derive('sr', sopInstanceUid)}`
  }

  /**
   * Both pseudonyms of one instance; when re-identification is on, its identifiers are sealed and
   * on disk before this returns (so call it before the case commits).
   */
  assign(identity: DecodedDicom['identity'], sha256: string): { patient: string; image: string } {
    const names = { patient: this.patient(identity, sha256), image: this.image(identity.sopInstanceUid, sha256) }
    this.sealed?.append({ source: 'import', at: new Date().toISOString(), ...names, original: { ...identity } })
    return names
  }

  close(): void {
    this.sealed?.close()
  }
}

const KEY_TEXT = /^[0-9a-fA-F]{64}$/

/** The data folder's own key, made on first use (one installation, one key). */
function installationKey(keyFile: string): Buffer {
  if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 })
  return Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'hex')
}

/**
 * The site's key named by the machine policy (`pseudonymKey`), shared by every workstation so a
 * patient gets the same pseudonym everywhere. It is never created here: a share that is briefly
 * unreachable must stop the import, not mint a second key and with it second pseudonyms.
 * IT makes it once: 64 hex characters (`openssl rand -hex 32 > pseudonym.key`).
 */
function readSiteKey(keyFile: string): Buffer {
  let text: string
  try {
    text = readFileSync(keyFile, 'utf8').trim()
  } catch (error) {
    throw new Error(
      `The site pseudonym key ${keyFile} (machine policy, pseudonymKey) cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); DICOM import stops rather than use another key`,
    )
  }
  if (!KEY_TEXT.test(text))
    throw new Error(
      `The site pseudonym key ${keyFile} (machine policy, pseudonymKey) is not 64 hexadecimal characters (make it with: openssl rand -hex 32)`,
    )
  return Buffer.from(text, 'hex')
}
