import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ExplainMethod } from '../../shared/explainMethods'
import type { InferenceEngine } from '../model/inferenceEngine'
import type { ModelPackage } from '../model/modelPackage'
import { preprocessImage } from '../model/preprocess'
import { explainImage, type ExplainBudget } from './explainImage'
import { randomizedPackage, type RandomizedLayers } from './randomizedModel'
import { EVAL_GRID, evaluationGrid } from '../../shared/heatmapGrid'
import { spearman } from '../stats/rankCorrelation'
import { ssim } from './ssim'

export interface RandomizationRow {
  image: string
  finding: string
  method: ExplainMethod
  layers: RandomizedLayers
  /** Spearman ρ between the original and the randomized model's map; null when either map is flat */
  rho: number | null
  /** SSIM of the two maps on the evaluation grid (224², each normalized to [0, 1] as scored; data range 1); null where not computed */
  ssim?: number | null
  /** the two maps are equal value for value */
  identical: boolean
  /** the original map had a ranking and the randomized one is flat (everything ReLU'd away): a change ρ cannot measure */
  emptied: boolean
}

export interface RandomizationSummary {
  /** image × finding pairs compared */
  pairs: number
  /** pairs where either map was flat (no ranking: ρ undefined) */
  flat: number
  /** pairs whose maps are equal value for value */
  identical: number
  /** pairs whose original map had a ranking and whose randomized map is flat */
  emptied: number
  rho: { median: number | null; q25: number | null; q75: number | null; min: number | null; max: number | null }
  ssim: { median: number | null; q25: number | null; q75: number | null; min: number | null; max: number | null }
}

export interface RandomizationReport {
  model: { id: string; version: string; sha256: string }
  images: string[]
  seed: number
  budget: ExplainBudget
  summary: Record<string, Partial<Record<RandomizedLayers, RandomizationSummary>>>
  /**
   * Kernel SHAP samples coalitions: its map from the unchanged model with the next sampling seed,
   * against the original. A randomized model's ρ is only meaningful well below this.
   */
  noiseFloor?: { kernelshap: RandomizationSummary }
  rows: RandomizationRow[]
}

function quantile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null
  const at = p * (sorted.length - 1)
  const lo = Math.floor(at)
  const hi = Math.min(sorted.length - 1, lo + 1)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo)
}

function isFlat(map: ArrayLike<number>): boolean {
  for (let i = 1; i < map.length; i++) if (map[i] !== map[0]) return false
  return true
}

export function summarize(rows: RandomizationRow[]): RandomizationSummary {
  const rhos = rows.flatMap((r) => (r.rho === null ? [] : [r.rho])).sort((a, b) => a - b)
  const round = (v: number | null) => (v === null ? null : Math.round(v * 1e4) / 1e4)
  const ssims = rows.flatMap((r) => (r.ssim === null || r.ssim === undefined ? [] : [r.ssim])).sort((a, b) => a - b)
  return {
    pairs: rows.length,
    flat: rows.filter((r) => r.rho === null).length,
    identical: rows.filter((r) => r.identical).length,
    emptied: rows.filter((r) => r.emptied).length,
    rho: {
      median: round(quantile(rhos, 0.5)),
      q25: round(quantile(rhos, 0.25)),
      q75: round(quantile(rhos, 0.75)),
      min: round(rhos[0] ?? null),
      max: round(rhos.at(-1) ?? null),
    },
    ssim: {
      median: round(quantile(ssims, 0.5)),
      q25: round(quantile(ssims, 0.25)),
      q75: round(quantile(ssims, 0.75)),
      min: round(ssims[0] ?? null),
      max: round(ssims.at(-1) ?? null),
    },
  }
}

/**
 * The model-parameter randomization test (Adebayo et al., "Sanity checks for saliency maps", 2018):
 * each method's map for each image and finding from the model as trained, against the map from the
 * same model with its top layers re-initialized (cascading: the head, then head and last block),
 * compared by Spearman rank correlation. A map that explains the model's decision must change when
 * the decision-making weights are destroyed; one that stays the same reflects the image or the
 * feature map, not the finding.
 */
export async function randomizationCheck(
  engine: InferenceEngine,
  pkg: ModelPackage,
  options: {
    images: Array<{ name: string; path: string }>
    methods: readonly ExplainMethod[]
    layers: readonly RandomizedLayers[]
    seed: number
    budget: ExplainBudget
    onProgress?: (message: string) => void
  },
): Promise<RandomizationReport> {
  const { manifest } = pkg
  const work = mkdtempSync(join(tmpdir(), 'cxr-randomization-'))
  try {
    const tensors = await Promise.all(options.images.map((image) => preprocessImage(image.path, manifest, image.name)))
    const original = []
    const grids = new Map<ExplainMethod, { height: number; width: number }>()
    const onGrid = (method: ExplainMethod, map: Float64Array) =>
      evaluationGrid(map, grids.get(method)!.height, grids.get(method)!.width, method)
    for (const [i, tensor] of tensors.entries()) {
      original.push(await explainImage(engine, pkg, tensor, options.methods, options.budget, grids))
      options.onProgress?.(`original ${options.images[i].name}`)
    }
    const rows: RandomizationRow[] = []
    for (const layers of options.layers) {
      const dir = mkdtempSync(join(work, 'model-'))
      const randomized = randomizedPackage(pkg, layers, options.seed, dir)
      for (const [i, tensor] of tensors.entries()) {
        const maps = await explainImage(engine, randomized, tensor, options.methods, options.budget)
        for (const method of options.methods) {
          const before = original[i].get(method)!
          const after = maps.get(method)!
          manifest.findings.forEach((finding, c) => {
            const identical = before[c].length === after[c].length && before[c].every((v, j) => v === after[c][j])
            const emptied = !isFlat(before[c]) && isFlat(after[c])
            rows.push({
              image: options.images[i].name,
              finding,
              method,
              layers,
              rho: spearman(before[c], after[c]),
              ssim: ssim(onGrid(method, before[c]), onGrid(method, after[c]), EVAL_GRID, EVAL_GRID),
              identical,
              emptied,
            })
          })
        }
        options.onProgress?.(`${layers} randomized ${options.images[i].name}`)
      }
    }
    let noiseFloor: RandomizationReport['noiseFloor']
    if (options.methods.includes('kernelshap')) {
      const control: RandomizationRow[] = []
      for (const [i, tensor] of tensors.entries()) {
        const [after] = (
          await explainImage(engine, pkg, tensor, ['kernelshap'], { ...options.budget, seed: options.budget.seed + 1 })
        ).values()
        const before = original[i].get('kernelshap')!
        manifest.findings.forEach((finding, c) => {
          control.push({
            image: options.images[i].name,
            finding,
            method: 'kernelshap',
            layers: 'head',
            rho: spearman(before[c], after[c]),
            identical: before[c].every((v, j) => v === after[c][j]),
            emptied: !isFlat(before[c]) && isFlat(after[c]),
          })
        })
      }
      noiseFloor = { kernelshap: summarize(control) }
    }
    const summary: RandomizationReport['summary'] = {}
    for (const method of options.methods) {
      summary[method] = {}
      for (const layers of options.layers)
        summary[method][layers] = summarize(rows.filter((r) => r.method === method && r.layers === layers))
    }
    return {
      model: { id: manifest.id, version: manifest.version, sha256: manifest.sha256 },
      images: options.images.map((i) => i.name),
      seed: options.seed,
      budget: options.budget,
      summary,
      ...(noiseFloor ? { noiseFloor } : {}),
      rows,
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** The sanity verdict used by reports: a method fails when its maps barely change (Adebayo et al.'s reading). */
export const SANITY_LIMIT = 0.5

export function sanityFails(summary: RandomizationSummary): { fails: boolean; reasons: string[] } {
  const reasons: string[] = []
  if (summary.identical > summary.pairs / 2) reasons.push(`${summary.identical} of ${summary.pairs} maps unchanged`)
  if (summary.rho.median !== null && summary.rho.median > SANITY_LIMIT)
    reasons.push(`median Spearman ρ ${summary.rho.median} > ${SANITY_LIMIT}`)
  if (summary.ssim.median !== null && summary.ssim.median > SANITY_LIMIT)
    reasons.push(`median SSIM ${summary.ssim.median} > ${SANITY_LIMIT}`)
  return { fails: reasons.length > 0, reasons }
}
