import Database from 'better-sqlite3'
import { createHmac, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * De-identification keys (DICOM PS3.15 Basic Application Level Confidentiality Profile): patient
 * and instance identifiers become keyed-hash pseudonyms (HMAC-SHA256 with a per-installation secret),
 * so the same patient always maps to the same pseudonym while nothing identifying enters the case
 * database, its backups, logs or exports. The re-identification table lives in its own file in the
 * data folder, readable only by the workstation's user, for the site's data protection officer.
 */
export class Pseudonymizer {
  private readonly key: Buffer
  private readonly table: Database.Database
  private readonly insert

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true })
    const keyFile = join(dataDir, 'pseudonym.key')
    if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 })
    this.key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'hex')
    this.table = new Database(join(dataDir, 'reidentification.sqlite'))
    this.table.pragma('journal_mode = WAL')
    this.table.exec(`CREATE TABLE IF NOT EXISTS pseudonyms (pseudonym TEXT PRIMARY KEY, kind TEXT NOT NULL,
      original TEXT NOT NULL, created_at TEXT NOT NULL) STRICT`)
    this.insert = this.table.prepare('INSERT INTO pseudonyms (pseudonym, kind, original, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
  }

  private derive(kind: string, value: string): string {
    return createHmac('sha256', this.key).update(`${kind}:${value}`).digest('hex').slice(0, 16)
  }

  /** The patient's pseudonym; the identifying attributes go to the re-identification table only. */
  patient(identity: { patientId: string | null; patientName: string | null; birthDate: string | null }, fallback: string): string {
    const source = identity.patientId ?? identity.patientName ?? fallback
    const pseudonym = `anon-${this.derive('patient', source)}`
    this.insert.run(pseudonym, 'patient', JSON.stringify(identity), new Date().toISOString())
    return pseudonym
  }

  /** An image name that says nothing about the patient, stable for the same SOP instance. */
  image(sopInstanceUid: string | null, sha256: string): string {
    const pseudonym = `img-${this.derive('instance', sopInstanceUid ?? sha256)}.dcm`
    if (sopInstanceUid) this.insert.run(pseudonym, 'instance', JSON.stringify({ sopInstanceUid }), new Date().toISOString())
    return pseudonym
  }

  close(): void {
    this.table.close()
  }
}
