/**
 * `npx tsx scripts/chanceMatchOdds.ts [--runs N] [--uids N]`: how often a test's search for a
 * planted value meets random data by chance, for the two searches of that kind the tests had.
 *
 * - sealed: what tests/unit/reidSealing.test.ts used to check before tests/unit/plaintextSearch.ts:
 *   `not.toMatch(/DOE|MRN/)` on an X25519 and an RSA-3072 envelope and `not.toMatch(/DOE|MRN|anon-/)`
 *   on a sealed file of two records, with fresh keys and IVs each run: the share of runs that failed.
 * - uids: the 8-digit DA markers of tests/unit/phiMarkers.ts against hash-derived UIDs (2.25.<39
 *   digits>, srExport's derivedUid) of a random pseudonym, as an SR export of a DICOM case holds six:
 *   the share of such UIDs holding some marker, and what that makes for phiAtRest's 36 per run.
 * Prints one JSON object.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { derivedUid } from '../src/main/interchange/srExport'
import type { ReidRecord } from '../src/main/reid/sealedLog'
import { generateSealingKeyPair, recipientFromPem, seal } from '../src/main/reid/sealing'
import { plantedFile } from '../tests/unit/phiMarkers'
import { SAMPLE_REID_RECORD } from '../tests/unit/reidRecord'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20000' }, uids: { type: 'string', default: '2000000' } } })
const count = (flag: string, text: string) => {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer, got ${text}`)
  return n
}
const runs = count('runs', values.runs)
const uidCount = count('uids', values.uids)
const share = (n: number, of: number) => Number((n / of).toPrecision(3))

function sealedOdds() {
  const record = SAMPLE_REID_RECORD
  const x25519 = recipientFromPem(generateSealingKeyPair('x25519').publicPem, 'x.pem')
  const rsa = recipientFromPem(
    generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    'rsa.pem',
  )
  const plaintext = Buffer.from('DOE^JANE MRN-1')
  // The sealed file as SealedWriter writes it: one JSON envelope per line.
  const fileLine = (r: ReidRecord) => JSON.stringify(seal(Buffer.from(JSON.stringify(r)), x25519))
  let envelopeX = 0
  let envelopeRsa = 0
  let file = 0
  let any = 0
  for (let i = 0; i < runs; i++) {
    const a = /DOE|MRN/.test(JSON.stringify(seal(plaintext, x25519)))
    const b = /DOE|MRN/.test(JSON.stringify(seal(plaintext, rsa)))
    const c = /DOE|MRN|anon-/.test(`${fileLine(record)}\n${fileLine({ ...record, patient: 'anon-2' })}\n`)
    envelopeX += Number(a)
    envelopeRsa += Number(b)
    file += Number(c)
    any += Number(a || b || c)
  }
  return {
    runs,
    failedRuns: {
      x25519Envelope: share(envelopeX, runs),
      rsaEnvelope: share(envelopeRsa, runs),
      sealedFile: share(file, runs),
      anyOfThem: share(any, runs),
    },
    oneRunIn: any ? Math.round(runs / any) : null,
  }
}

function uidOdds() {
  const digitsOnly = [0, 1, 2].flatMap((f) => plantedFile(f).markers.map((m) => m.value)).filter((v) => /^\d+$/.test(v))
  let holding = 0
  for (let i = 0; i < uidCount; i++) {
    const uid = derivedUid('study', `dicom:img-${randomBytes(8).toString('hex')}.dcm`)
    if (digitsOnly.some((m) => uid.includes(m))) holding++
  }
  const perUid = holding / uidCount
  const perRun = 1 - (1 - perUid) ** 36
  return {
    markers: digitsOnly.length,
    uids: uidCount,
    uidsHoldingAMarker: holding,
    perUid: share(holding, uidCount),
    phiAtRestFailedRuns: Number(perRun.toPrecision(3)),
    oneRunIn: perRun ? Math.round(1 / perRun) : null,
  }
}

console.log(JSON.stringify({ sealed: sealedOdds(), uids: uidOdds() }))
