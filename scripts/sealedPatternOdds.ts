/**
 * `npx tsx scripts/sealedPatternOdds.ts [--runs N]`: how often a short pattern matches sealed random
 * bytes by chance. Replays what tests/unit/reidSealing.test.ts used to check (before
 * tests/unit/plaintextSearch.ts): `not.toMatch(/DOE|MRN/)` on an X25519 and an RSA-3072 envelope, and
 * `not.toMatch(/DOE|MRN|anon-/)` on a sealed file of two records, with fresh keys and IVs each run, and
 * prints the share of runs in which that test would have failed. Prints one JSON object.
 */
import { generateKeyPairSync } from 'node:crypto'
import { parseArgs } from 'node:util'
import type { ReidRecord } from '../src/main/reid/sealedLog'
import { generateSealingKeyPair, recipientFromPem, seal } from '../src/main/reid/sealing'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20000' } } })
const runs = Number(values.runs)
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`)

const record: ReidRecord = {
  source: 'import',
  at: '2025-01-01T00:00:00.000Z',
  patient: 'anon-1',
  image: 'img-1.dcm',
  original: { patientName: 'DOE^JANE', patientId: 'MRN-1' },
}
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
const share = (n: number) => Number((n / runs).toFixed(5))
console.log(
  JSON.stringify({
    runs,
    failedRuns: { x25519Envelope: share(envelopeX), rsaEnvelope: share(envelopeRsa), sealedFile: share(file), anyOfThem: share(any) },
    oneInN: any ? Math.round(runs / any) : null,
  }),
)
