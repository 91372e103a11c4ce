import { generateKeyPairSync } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { importDicom } from '../../src/main/dicom/dicomImporter'
import { enableReidentification, reidentificationStatus } from '../../src/main/reid/reidentification'
import { openSealedFile, SealedWriter } from '../../src/main/reid/sealedLog'
import { generateSealingKeyPair, privateKeyFromPem, recipientFromPem, seal, unseal } from '../../src/main/reid/sealing'
import { CaseStore } from '../../src/main/store/caseStore'
import { writeDicom } from './dicomWriter'
import { tempDir } from './helpers'
import { SAMPLE_REID_RECORD } from './reidRecord'
import { plaintextIn } from './plaintextSearch'

const dir = tempDir('cxr-reid-')
afterAll(dir.cleanup)

const pem = (key: import('node:crypto').KeyObject, type: 'spki' | 'pkcs8') => key.export({ type, format: 'pem' }).toString()
const record = SAMPLE_REID_RECORD

describe('sealing re-identification records', () => {
  const x25519 = generateSealingKeyPair('x25519')
  const rsa = generateKeyPairSync('rsa', { modulusLength: 3072 })

  it('round-trips with X25519 and RSA-OAEP-SHA256 3072, and the sealed bytes hold no plaintext', () => {
    for (const [publicPem, privatePem] of [
      [x25519.publicPem, x25519.privatePem],
      [pem(rsa.publicKey, 'spki'), pem(rsa.privateKey, 'pkcs8')],
    ]) {
      const recipient = recipientFromPem(publicPem, 'dpo.pem')
      const envelope = seal(Buffer.from('DOE^JANE MRN-1'), recipient)
      expect(plaintextIn(JSON.stringify(envelope), ['DOE^JANE', 'MRN-1'])).toEqual([])
      expect(unseal(envelope, privateKeyFromPem(privatePem, 'key.pem')).toString()).toBe('DOE^JANE MRN-1')
    }
  })

  it('the plaintext search sees a leak verbatim or base64-encoded, and not the letters of a name that random base64 spells by chance', () => {
    const envelope = seal(Buffer.from('DOE^JANE MRN-1'), recipientFromPem(x25519.publicPem, 'dpo.pem'))
    // Ciphertext whose base64 happens to spell DOE and MRN, as real ones do by chance: the old checks
    // (not.toMatch(/DOE|MRN/) here and below) failed about 1 run of this file in 115 (scripts/chanceMatchOdds.ts).
    const unlucky = { ...envelope, ct: Buffer.from('xxDOExxMRNxx', 'base64').toString('base64') }
    expect(JSON.stringify(unlucky)).toMatch(/DOE|MRN/)
    expect(plaintextIn(JSON.stringify(unlucky), ['DOE^JANE', 'MRN-1'])).toEqual([])
    // A real leak is found, as written or merely base64-encoded.
    expect(plaintextIn(JSON.stringify({ ...envelope, note: 'DOE^JANE' }), ['DOE^JANE', 'MRN-1'])).toEqual(['DOE^JANE (verbatim)'])
    const encoded = { ...envelope, ct: Buffer.from('DOE^JANE MRN-1').toString('base64') }
    expect(plaintextIn(JSON.stringify(encoded), ['DOE^JANE', 'MRN-1'])).toEqual(['DOE^JANE (base64)', 'MRN-1 (base64)'])
    expect(() => plaintextIn('x', ['DOE'])).toThrow(/too short/)
  })

  it('refuses a short RSA key, a non-encryption key and a private key given as the public one', () => {
    const short = generateKeyPairSync('rsa', { modulusLength: 2048 })
    expect(() => recipientFromPem(pem(short.publicKey, 'spki'), 'short.pem')).toThrow(
      'short.pem: an RSA key of 2048 bits is too short for sealing; it needs at least 3072',
    )
    const ed = generateKeyPairSync('ed25519')
    expect(() => recipientFromPem(pem(ed.publicKey, 'spki'), 'ed.pem')).toThrow(/ed.pem: a ed25519 key cannot seal records/)
    expect(() => recipientFromPem(x25519.privatePem, 'dpo-private.pem')).toThrow(
      /dpo-private.pem is a private key; give the workstation the public key only/,
    )
    expect(() => recipientFromPem('not a key', 'junk.pem')).toThrow(/^junk.pem is not a PEM public key/)
  })

  it('opens a passphrase-protected private key, naming a missing or wrong passphrase', () => {
    const protectedPair = generateSealingKeyPair('x25519', 'right')
    const encrypted = protectedPair.privatePem
    expect(encrypted).toMatch(/BEGIN ENCRYPTED PRIVATE KEY/)
    const envelope = seal(Buffer.from('secret'), recipientFromPem(protectedPair.publicPem, 'dpo.pem'))
    expect(unseal(envelope, privateKeyFromPem(encrypted, 'enc.pem', 'right')).toString()).toBe('secret')
    expect(() => privateKeyFromPem(encrypted, 'enc.pem')).toThrow(
      'enc.pem is encrypted; give its passphrase on standard input with --passphrase-stdin',
    )
    expect(() => privateKeyFromPem(encrypted, 'enc.pem', 'wrong')).toThrow('enc.pem: the passphrase does not open this key')
    // A wrong passphrase passes the CBC padding check about once in 256 tries and then fails as garbage
    // instead; 600 wrong passphrases meet that case with probability 1 − (255/256)^600 ≈ 0.9.
    for (let i = 0; i < 600; i++)
      expect(() => privateKeyFromPem(encrypted, 'enc.pem', `wrong-${i}`)).toThrow('enc.pem: the passphrase does not open this key')
  })

  it('detects a record that was altered or moved to another key id', () => {
    const recipient = recipientFromPem(x25519.publicPem, 'dpo.pem')
    const key = privateKeyFromPem(x25519.privatePem, 'key.pem')
    const envelope = seal(Buffer.from('secret'), recipient)
    const flipped = Buffer.from(envelope.ct, 'base64')
    flipped[0] ^= 1
    expect(() => unseal({ ...envelope, ct: flipped.toString('base64') }, key)).toThrow(
      'the record fails its authentication tag (altered or damaged)',
    )
    expect(() => unseal({ ...envelope, kid: '0000000000000000' }, key)).toThrow(/sealed to key 0000000000000000, not to this key/)
  })

  it('opens a sealed file line by line, naming damaged lines and keeping the readable ones', () => {
    const file = join(dir.path, 'records.sealed')
    const writer = new SealedWriter(file, recipientFromPem(x25519.publicPem, 'dpo.pem'))
    writer.append(record)
    writer.append({ ...record, patient: 'anon-2' })
    writer.close()
    expect(plaintextIn(readFileSync(file, 'utf8'), ['DOE^JANE', 'MRN-1', 'anon-1', 'anon-2', 'img-1.dcm'])).toEqual([])
    writeFileSync(file, `${readFileSync(file, 'utf8')}{"half a line\n`)
    const opened = openSealedFile(file, privateKeyFromPem(x25519.privatePem, 'key.pem'))
    expect(opened).toEqual([
      { line: 1, record },
      { line: 2, record: { ...record, patient: 'anon-2' } },
      { line: 3, error: 'not a sealed record (a damaged or foreign line)' },
    ])
  })
})

describe('the re-identification setting', () => {
  it('refuses to import with a damaged setting, naming the file, and stores nothing', async () => {
    const dataDir = join(dir.path, 'damaged')
    const dicomDir = join(dir.path, 'damaged-dicom')
    mkdirSync(dicomDir, { recursive: true })
    writeFileSync(
      join(dicomDir, 'a.dcm'),
      writeDicom({ rows: 2, columns: 2, photometric: 'MONOCHROME2', bitsAllocated: 8, bitsStored: 8, pixels: [0, 80, 160, 240] }),
    )
    mkdirSync(dataDir, { recursive: true })
    writeFileSync(join(dataDir, 'reidentification.json'), '{"enabled": true')
    const store = CaseStore.open(join(dataDir, 'cxr-lens.sqlite'))
    try {
      await expect(importDicom(store, { dicomDir, dataDir })).rejects.toThrow(`${join(dataDir, 'reidentification.json')} is not valid JSON`)
      expect(store.worklist.query({}).total).toBe(0)
      expect(reidentificationStatus(dataDir).warnings.join()).toMatch(/re-identification setting unusable/)
      // Enabled again with a sound key, the import seals one record and stores the case.
      const pair = generateSealingKeyPair('x25519')
      enableReidentification(dataDir, pair.publicPem, 'dpo.pem')
      expect(await importDicom(store, { dicomDir, dataDir })).toMatchObject({ imported: 1 })
      const opened = openSealedFile(join(dataDir, 'reidentification.sealed'), privateKeyFromPem(pair.privatePem, 'key.pem'))
      expect(opened).toHaveLength(1)
      expect(opened[0]).toMatchObject({
        record: { source: 'import', original: { patientName: 'DOE^JANE', patientId: 'MRN-0042', birthDate: '19600102' } },
      })
      expect(existsSync(join(dataDir, 'reidentification.sqlite'))).toBe(false)
    } finally {
      store.close()
    }
  })
})
