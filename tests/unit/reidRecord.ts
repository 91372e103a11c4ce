import type { ReidRecord } from '../../src/main/reid/sealedLog'

/** The re-identification record the sealing tests seal, and scripts/chanceMatchOdds.ts measures against. */
export const SAMPLE_REID_RECORD: ReidRecord = {
  source: 'import',
  at: '2025-01-01T00:00:00.000Z',
  patient: 'anon-1',
  image: 'img-1.dcm',
  original: { patientName: 'DOE^JANE', patientId: 'MRN-1' },
}
