import type { IobbThreshold, PaperIobbThreshold } from './chestXray8Reference'
import type { PairedAuroc } from './classificationStats'
import type { BootstrapInterval } from './bootstrap'
import type { FaithfulnessRow } from './faithfulnessSummary'
import type { LocalizationIntervals } from './localizationStats'
import type { RandomizationSummary } from './randomizationCheck'

/** report.json: field names are an interface other people's scripts read (issue #4). New fields only add. */
export interface ClassificationRow {
  n_pos: number
  auroc: number | null
  /** DeLong's normal 95% interval */
  auroc_ci: [number, number] | null
  /** patient-bootstrap percentile 95% interval (honest with few positives) */
  auroc_ci_bootstrap?: [number, number] | null
  /** fewer than 10 positives: read any interval with care */
  few_positives?: boolean
  f1: number | null
  precision: number | null
  recall: number | null
  threshold: number
  tp: number
  fp: number
  tn: number
  fn: number
}

export interface LocalizationRow {
  n_boxes: number
  iobb_acc: Record<IobbThreshold, number | null>
  iou_mean: number | null
  hit_rate: number | null
}

/** The ChestX-ray8 paper's protocol (see chestXray8Protocol.ts): strict IoBB > T. */
export interface PaperLocalizationRow {
  n_boxes: number
  /** boxes of map thresholds 60 and 180 pooled */
  iobb_acc: Record<PaperIobbThreshold, number | null>
  /** only the boxes of one map threshold ('60', '180') */
  by_map_threshold: Record<string, Record<PaperIobbThreshold, number | null>>
}

export interface SanityResult {
  images: string[]
  seed: number
  method: string
  summary: Partial<Record<string, RandomizationSummary>>
  verdict: Partial<Record<string, { fails: boolean; reasons: string[] }>>
  fails: boolean
  seconds: number
}

export interface ExternalComparison {
  file: string
  /** images of the evaluated set that the file has predictions for (the comparison runs on these only) */
  images_matched: number
  images_missing: number
  macro_auroc_model: number | null
  macro_auroc_external: number | null
  /** per finding: the model (a) against the file (b) on the same images, DeLong paired and patient bootstrap */
  classification: Record<string, PairedAuroc & { auroc_ci_bootstrap_external: [number, number] | null }>
}

/**
 * How many evaluated images the model's out-of-distribution check flagged (issue 18). Flagged images
 * stay in every figure of the report: nothing is excluded silently (`excluded` is always 0).
 */
export type OodSummary =
  | {
      method: 'mahalanobis' | 'energy'
      threshold: number
      images: number
      flagged: number
      rate: number
      flagged_images: string[]
      excluded: 0
    }
  | { unavailable: string; flagged: null; excluded: 0 }

export interface EvaluationReport {
  model: { id: string; version: string; sha256: string }
  images: number
  method: string
  threshold: 'otsu' | 'tuned'
  /** which localization table is the headline: 'cxrlens' (Otsu/tuned, ≥) or 'chestxray8' (the paper's); both are always in the report */
  protocol?: 'cxrlens' | 'chestxray8'
  provider: string
  classification: Record<string, ClassificationRow | number | null> & { macro_auroc: number | null }
  localization: Record<string, LocalizationRow>
  localization_prior: Record<string, Omit<LocalizationRow, 'n_boxes'>>
  /** the same measures for a seeded uniform random map on the method's grid (scored as the model's maps) */
  localization_random?: Record<string, Omit<LocalizationRow, 'n_boxes'>>
  localization_chestxray8?: Record<string, PaperLocalizationRow>
  localization_chestxray8_prior?: Record<string, Omit<PaperLocalizationRow, 'n_boxes'>>
  localization_chestxray8_random?: Record<string, Omit<PaperLocalizationRow, 'n_boxes'>>
  /** per finding: patient-bootstrap intervals of every figure for model, prior, random (and compare), and paired differences */
  localization_ci?: Record<string, LocalizationIntervals>
  bootstrap?: { unit: 'patient'; resamples: number; seed: number; interval: 'percentile 95%' }
  /** findings whose heatmaps do not beat the fixed prior box on mean IoU */
  not_beating_prior: string[]
  tuned_thresholds?: Record<string, number>
  /** a second method scored on the same cases (arms.compare and differences.model_minus_compare in localization_ci) */
  compare_method?: string
  compare_predictions?: ExternalComparison
  faithfulness?: { definition: string; steps: number; method: string; rows: Record<string, FaithfulnessRow>; failing: string[] }
  sanity?: SanityResult
  /** sentences naming each failed check of the method (faithfulness, sanity); empty when none failed or none ran */
  explanation_flags?: string[]
  ood?: OodSummary
  seconds: number
}

export type { BootstrapInterval }
