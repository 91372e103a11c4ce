/**
 * The last model-randomization check of a model version and method, kept in the data folder so the
 * dashboard and its report can show it without rerunning it (the check re-initializes layers and
 * recomputes every map: minutes, not a dashboard refresh). `cxr-lens evaluate --sanity` writes it;
 * one small JSON file per (model, version, method) under <data folder>/evaluation/. No patient data:
 * image names are not kept, only their count. A file that does not parse is reported, never trusted.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import type { DashboardSanity } from '../../shared/domain'
import type { SanityResult } from './reportTypes'

const MAX_RECORD_BYTES = 256 * 1024
const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_')

export const sanityRecordPath = (dataDir: string, model: { id: string; version: string }, method: string) =>
  join(dataDir, 'evaluation', `sanity-${safe(model.id)}-${safe(model.version)}-${safe(method)}.json`)

const recordSchema = z
  .object({
    state: z.literal('stored'),
    method: z.string().min(1).max(64),
    model: z.object({ id: z.string().min(1).max(64), version: z.string().min(1).max(64) }).strict(),
    recordedAt: z.string().min(1).max(64),
    images: z.number().int().min(0),
    seed: z.number().int(),
    fails: z.boolean(),
    verdict: z.record(z.string().max(64), z.object({ fails: z.boolean(), reasons: z.array(z.string().max(500)).max(20) }).strict()),
  })
  .strict()

/** Writes the record atomically (temporary file, then rename), so a reader never sees half of one. */
export function saveSanityRecord(
  dataDir: string,
  model: { id: string; version: string },
  result: SanityResult,
  at = new Date().toISOString(),
): string {
  const record: DashboardSanity = {
    state: 'stored',
    method: result.method,
    model: { id: model.id, version: model.version },
    recordedAt: at,
    images: result.images.length,
    seed: result.seed,
    fails: result.fails,
    verdict: Object.fromEntries(Object.entries(result.verdict).flatMap(([layers, v]) => (v ? [[layers, v]] : []))),
  }
  const file = sanityRecordPath(dataDir, model, result.method)
  mkdirSync(join(dataDir, 'evaluation'), { recursive: true })
  const temporary = `${file}.${process.pid}.tmp`
  writeFileSync(temporary, JSON.stringify(record, null, 2))
  renameSync(temporary, file)
  return file
}

/** The stored record, null when there is none, or `unreadable` naming the file and what is wrong. */
export function loadSanityRecord(dataDir: string, model: { id: string; version: string }, method: string): DashboardSanity | null {
  const file = sanityRecordPath(dataDir, model, method)
  const stat = statSync(file, { throwIfNoEntry: false })
  if (!stat) return null
  if (!stat.isFile() || stat.size > MAX_RECORD_BYTES)
    return { state: 'unreadable', file, error: `not a regular file of at most ${MAX_RECORD_BYTES} bytes` }
  try {
    const parsed = recordSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')))
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      return { state: 'unreadable', file, error: `${issue.path.join('.') || 'record'}: ${issue.message}` }
    }
    if (parsed.data.model.id !== model.id || parsed.data.model.version !== model.version || parsed.data.method !== method)
      return { state: 'unreadable', file, error: 'the record is of another model version or method' }
    return parsed.data
  } catch (error) {
    return { state: 'unreadable', file, error: `not JSON (${(error as Error).message.slice(0, 80)})` }
  }
}
