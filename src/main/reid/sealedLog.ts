import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs'
import type { KeyObject } from 'node:crypto'
import { asEnvelope, seal, unseal, type RecipientKey } from './sealing'

/** What links a pseudonym back to the patient: only ever written sealed. */
export interface ReidRecord {
  /** where the record came from: an import, or the plaintext table of an earlier version */
  source: 'import' | 'legacy'
  at: string
  /** the patient pseudonym (anon-…) */
  patient?: string
  /** the image pseudonym (img-….dcm) */
  image?: string
  original: {
    patientName?: string | null
    patientId?: string | null
    birthDate?: string | null
    sopInstanceUid?: string | null
    studyInstanceUid?: string | null
  }
}

/**
 * Appends sealed records to the re-identification file, one JSON line each (O_APPEND, so two
 * processes importing at once interleave whole lines). Each append is flushed to disk before it
 * returns: the case it belongs to commits only afterwards, so no imported case lacks its record.
 */
export class SealedWriter {
  private fd: number | null

  constructor(
    readonly file: string,
    private readonly recipient: RecipientKey,
  ) {
    this.fd = openSync(file, 'a', 0o600)
  }

  get keyId(): string {
    return this.recipient.kid
  }

  append(record: ReidRecord): void {
    if (this.fd === null) throw new Error(`${this.file} is closed`)
    const line = `${JSON.stringify(seal(Buffer.from(JSON.stringify(record)), this.recipient))}\n`
    writeSync(this.fd, line)
    fsyncSync(this.fd)
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd)
    this.fd = null
  }
}

export type OpenedLine = { line: number; record: ReidRecord } | { line: number; error: string }

/** Decrypts every line of a sealed file with the private key (on the data protection officer's machine). */
export function openSealedFile(file: string, privateKey: KeyObject): OpenedLine[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new Error(`Cannot read the sealed file ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  const out: OpenedLine[] = []
  text.split('\n').forEach((raw, index) => {
    if (!raw.trim()) return
    const line = index + 1
    let envelope
    try {
      envelope = asEnvelope(JSON.parse(raw))
    } catch {
      envelope = null
    }
    if (!envelope) {
      out.push({ line, error: 'not a sealed record (a damaged or foreign line)' })
      return
    }
    try {
      out.push({ line, record: JSON.parse(unseal(envelope, privateKey).toString('utf8')) as ReidRecord })
    } catch (error) {
      out.push({ line, error: (error as Error).message })
    }
  })
  return out
}
