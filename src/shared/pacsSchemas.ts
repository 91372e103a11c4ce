/**
 * The PACS requests' schemas, shared by the contract, the job map and the CLI, so every way in
 * refuses the same values with the same words.
 */
import { z } from 'zod'
import type { PacsPullRequest, StudyQuery } from './pacs'
import { PACS_AUTH_KINDS } from './pacs'

/** C0 controls and DEL: never part of a value typed for a PACS or of a credential. */
export function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if (code < 0x20 || code === 0x7f) return true
  }
  return false
}

/** YYYYMMDD, a real calendar date (DICOM DA, as QIDO-RS ranges take it). */
export const dicomDateSchema = z
  .string()
  .regex(/^\d{8}$/, 'must be a date as YYYYMMDD')
  .refine((v) => {
    const [y, m, d] = [Number(v.slice(0, 4)), Number(v.slice(4, 6)), Number(v.slice(6, 8))]
    const date = new Date(Date.UTC(y, m - 1, d))
    return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d
  }, 'is not a calendar date')
export const pacsNameSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, 'must be 1–64 letters, digits, spaces, dots, dashes or underscores')
/** A DICOM UID (PS3.5 §9): digits and dots, at most 64 characters. */
export const dicomUidSchema = z
  .string()
  .max(64)
  .regex(/^[0-9]+(\.[0-9]+)*$/, 'must be a DICOM UID (digits and dots)')

/** `cxr-lens pacs pull` and "Retrieve selected": studies by UID, or every CR/DX study in a date range. */
export const pacsPullRequestSchema = z
  .object({
    pacs: pacsNameSchema,
    studies: z.array(dicomUidSchema).min(1).max(1000).optional(),
    since: dicomDateSchema.optional(),
    until: dicomDateSchema.optional(),
  })
  .strict()
  .refine((r) => (r.studies !== undefined) !== (r.since !== undefined), 'give either studies or since (with until optional), not both')
  .refine((r) => r.until === undefined || r.since !== undefined, 'until goes with since')
  .refine((r) => !r.since || !r.until || r.since <= r.until, 'since is after until') satisfies z.ZodType<PacsPullRequest>

/**
 * A value a reader types for a QIDO-RS match: no backslash (DICOM's value separator), no control
 * characters, at most 64 characters (LO). Sent to the PACS; never stored.
 */
const matchValue = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((v) => !v.includes('\\') && !hasControlCharacter(v), 'must not hold a backslash or control characters')

/** The study search of `pacs query` and `pacs:query`, checked at the boundary. */
export const studyQuerySchema = z
  .object({
    since: dicomDateSchema.optional(),
    until: dicomDateSchema.optional(),
    modality: z.enum(['CR', 'DX']).optional(),
    accession: matchValue.optional(),
    patientId: matchValue.optional(),
    limit: z.number().int().min(1).max(1000).optional(),
    offset: z.number().int().min(0).max(1_000_000).optional(),
  })
  .strict()
  .refine((q) => !q.since || !q.until || q.since <= q.until, 'since is after until') satisfies z.ZodType<StudyQuery>

/** How many studies one search shows at most when the caller does not say. */
export const DEFAULT_STUDY_LIMIT = 200

/** A connection added in the app (the CLI reads the secret from standard input instead). */
export const pacsAddSchema = z
  .object({
    name: pacsNameSchema,
    url: z.string().trim().min(1).max(2048),
    auth: z.enum(PACS_AUTH_KINDS),
    user: z.string().trim().min(1).max(256).optional(),
    secret: z.string().min(1).max(4096).optional(),
  })
  .strict()
