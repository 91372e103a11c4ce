import type { IobbThreshold } from './chestXray8Reference'

/** report.json: field names are an interface other people's scripts read (issue #4). */
export interface ClassificationRow {
  n_pos: number
  auroc: number | null
  auroc_ci: [number, number] | null
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

export interface EvaluationReport {
  model: { id: string; version: string; sha256: string }
  images: number
  method: string
  threshold: 'otsu' | 'tuned'
  provider: string
  classification: Record<string, ClassificationRow | number | null> & { macro_auroc: number | null }
  localization: Record<string, LocalizationRow>
  localization_prior: Record<string, Omit<LocalizationRow, 'n_boxes'>>
  /** findings whose heatmaps do not beat the fixed prior box on mean IoU */
  not_beating_prior: string[]
  tuned_thresholds?: Record<string, number>
  seconds: number
}
