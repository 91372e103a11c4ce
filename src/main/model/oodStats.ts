import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { sha256Of } from './hashing'
import type { ModelManifest } from './manifest'

/** The two in-distribution scores the workstation knows; the package's file says which one it uses. */
export const OOD_METHODS = ['mahalanobis', 'energy'] as const
export type OodMethod = (typeof OOD_METHODS)[number]

/**
 * The out-of-distribution statistics of one model package (`ood.json` beside model.onnx, hashed in
 * the manifest like the ONNX file):
 *
 * - mahalanobis: the training split's pooled-feature mean and a tied covariance kept as its top `k`
 *   principal directions with their (Ledoit–Wolf shrunk) variances plus one isotropic variance for
 *   the other D − k directions, so the score still measures every direction of the 1024-d space while
 *   the file stays ~180 KB instead of a 4 MB precision matrix;
 * - energy: nothing to store but its threshold (the joint energy of the logits).
 *
 * Each method's threshold is the 95th percentile of its score on the validation split: 95% of
 * in-distribution validation images pass. `method` is the one chosen on validation data (the rule
 * is in `selection`).
 */
export interface OodStats {
  method: OodMethod
  /** the fraction of in-distribution validation images each threshold lets pass */
  passRate: number
  mahalanobis: {
    dims: number
    k: number
    mean: Float32Array
    /** [k × dims] orthonormal principal directions, row-major */
    components: Float32Array
    /** shrunk variance along each direction */
    variances: Float32Array
    /** shrunk variance of every remaining direction */
    residualVariance: number
    shrinkage: number
    threshold: number
  }
  energy: { threshold: number }
  /** how the file was made: split sizes, the selection rule and its validation numbers */
  provenance: Record<string, unknown>
}

const base64Floats = z
  .string()
  .max(16_000_000)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64')

const fileSchema = z
  .object({
    format: z.literal('cxr-lens-ood'),
    version: z.literal(1),
    method: z.enum(OOD_METHODS),
    passRate: z.number().gt(0).lt(1),
    mahalanobis: z
      .object({
        dims: z.number().int().positive().max(65_536),
        k: z.number().int().min(0).max(1024),
        mean: base64Floats,
        components: base64Floats,
        variances: base64Floats,
        residualVariance: z.number().positive(),
        shrinkage: z.number().min(0).max(1),
        threshold: z.number().positive(),
      })
      .strict(),
    energy: z.object({ threshold: z.number() }).strict(),
    provenance: z.record(z.string(), z.unknown()),
  })
  .strict()

export const OOD_FILE = 'ood.json'

export class OodStatsError extends Error {
  constructor(file: string, problem: string) {
    super(`Out-of-distribution statistics ${file}: ${problem}`)
    this.name = 'OodStatsError'
  }
}

function floatsFrom(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64')
  if (bytes.byteLength % 4) throw new Error('a float array is not a whole number of float32 values')
  const out = new Float32Array(bytes.byteLength / 4)
  new Uint8Array(out.buffer).set(bytes)
  return out
}

const floatsTo = (values: Float32Array) => Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64')

/** The file's bytes (what the manifest's hash covers). */
export function serializeOodStats(stats: OodStats): Uint8Array {
  const m = stats.mahalanobis
  const file = {
    format: 'cxr-lens-ood',
    version: 1,
    method: stats.method,
    passRate: stats.passRate,
    mahalanobis: {
      dims: m.dims,
      k: m.k,
      mean: floatsTo(m.mean),
      components: floatsTo(m.components),
      variances: floatsTo(m.variances),
      residualVariance: m.residualVariance,
      shrinkage: m.shrinkage,
      threshold: m.threshold,
    },
    energy: stats.energy,
    provenance: stats.provenance,
  }
  return Buffer.from(JSON.stringify(file, null, 1))
}

/** Parses and checks the file's bytes against the model it belongs to; `file` names it in errors. */
export function parseOodStats(bytes: Uint8Array, file: string, features: number): OodStats {
  let raw: unknown
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch (error) {
    throw new OodStatsError(file, `is not valid JSON (${(error as Error).message})`)
  }
  const parsed = fileSchema.safeParse(raw)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
    throw new OodStatsError(file, `is invalid: ${issues}`)
  }
  const m = parsed.data.mahalanobis
  let mean: Float32Array, components: Float32Array, variances: Float32Array
  try {
    mean = floatsFrom(m.mean)
    components = floatsFrom(m.components)
    variances = floatsFrom(m.variances)
  } catch (error) {
    throw new OodStatsError(file, (error as Error).message)
  }
  if (m.dims !== features) throw new OodStatsError(file, `is for ${m.dims} features but the model pools ${features}`)
  if (m.k > m.dims) throw new OodStatsError(file, `keeps ${m.k} directions of ${m.dims}`)
  if (mean.length !== m.dims || components.length !== m.k * m.dims || variances.length !== m.k)
    throw new OodStatsError(
      file,
      `arrays have ${mean.length}, ${components.length} and ${variances.length} values; ${m.dims}, ${m.k * m.dims} and ${m.k} expected`,
    )
  if (![...mean, ...components].every(Number.isFinite) || !variances.every((v) => Number.isFinite(v) && v > 0))
    throw new OodStatsError(file, 'holds a value that is not finite (or a variance ≤ 0)')
  return { ...parsed.data, mahalanobis: { ...m, mean, components, variances } }
}

/**
 * The package's statistics, or why there are none: never thrown, because a model without a usable
 * check still runs (its predictions then say "no out-of-distribution check" and why).
 */
export function loadOodStats(dir: string, manifest: ModelManifest): { stats: OodStats } | { stats: null; reason: string } {
  if (!manifest.ood)
    return { stats: null, reason: `no out-of-distribution check: model ${manifest.id} ${manifest.version} has no ${OOD_FILE}` }
  const file = join(dir, manifest.ood.file)
  try {
    let bytes: Uint8Array
    try {
      bytes = readFileSync(file)
    } catch (error) {
      throw new OodStatsError(file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
    }
    const sha = sha256Of(bytes)
    if (sha !== manifest.ood.sha256)
      throw new OodStatsError(
        file,
        `has SHA-256 ${sha}, but the manifest says ${manifest.ood.sha256}: the file is corrupt or not the one the manifest describes`,
      )
    return { stats: parseOodStats(bytes, file, manifest.outputs.features.shape[0]) }
  } catch (error) {
    return { stats: null, reason: `no out-of-distribution check: ${(error as Error).message}` }
  }
}
