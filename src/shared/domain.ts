/** Domain types shared by main, preload and renderer. Plain data only: they cross IPC and WebSocket. */
import type { ExplainMethod } from './explainMethods'

export type CaseStatus = 'new' | 'in_review' | 'reviewed'
export const CASE_STATUSES: readonly CaseStatus[] = ['new', 'in_review', 'reviewed']

export type AnnotationSource = 'dataset' | 'reader'

export type WorklistSort = 'image' | 'imported' | 'age' | 'status' | 'boxes'

export interface WorklistQuery {
  finding?: string
  hasBoxes?: boolean
  status?: CaseStatus
  search?: string
  sort?: WorklistSort
  order?: 'asc' | 'desc'
  offset?: number
  limit?: number
}

export interface WorklistRow {
  id: number
  image: string
  patient: string | null
  age: number | null
  sex: string | null
  view: string | null
  status: CaseStatus
  width: number
  height: number
  findings: string[]
  boxes: number
}

export interface WorklistPage {
  total: number
  offset: number
  rows: WorklistRow[]
}

export interface FindingCount {
  finding: string
  cases: number
}

export interface Label {
  finding: string
  source: AnnotationSource
  author: string
}

/** A rectangle in the stored image's own pixel space (never the display's). */
export interface Box {
  id: number
  caseId: number
  finding: string
  x: number
  y: number
  w: number
  h: number
  source: AnnotationSource
  author: string
  createdAt: string
  updatedAt: string
}

export interface CaseDetail extends WorklistRow {
  path: string
  sha256: string
  format: string
  bitDepth: number | null
  followUp: number | null
  importedAt: string
  labels: Label[]
  boxList: Box[]
}

export interface ImageBytes {
  mime: string
  bytes: Uint8Array
}

export interface ImportRequest {
  imagesDir: string
  labelsCsv: string
  boxesCsv?: string
}

export interface ImportFailure {
  name: string
  reason: string
}

export interface ImportSummary {
  scanned: number
  imported: number
  /** Already in the store (same content hash): nothing added twice. */
  duplicates: number
  failed: ImportFailure[]
  /** CSV rows naming an image that is not in the folder. */
  missing: string[]
  /** Images in the folder with no row in the label CSV: imported without labels. */
  unlabelled: string[]
  labelsAdded: number
  boxesAdded: number
  boxesSkipped: ImportFailure[]
  seconds: number
  imagesPerSecond: number
}

export interface JobProgress {
  jobId: string
  done: number
  total: number
  message: string
}

export type JobState = 'running' | 'succeeded' | 'failed' | 'cancelled'

export interface JobStatus<R = unknown> extends JobProgress {
  kind: string
  state: JobState
  result?: R
  error?: string
}

export interface AppInfo {
  name: string
  version: string
  dataDir: string
  schemaVersion: number
  transport: 'electron' | 'web'
  nativeDialogs: boolean
}

export interface ModelSummary {
  id: string
  version: string
  sha256: string
  findings: string[]
  source: 'bundled' | 'imported'
  isDefault: boolean
  intendedUse: string
  headType: string
}

export interface AnalysisRequest {
  caseIds: number[]
  model?: string
  version?: string
  methods: ExplainMethod[]
  findings?: string[]
  background?: 'blur' | 'mean'
}

export interface CasePredictions {
  model: { id: string; version: string } | null
  probabilities: Array<{ finding: string; probability: number }>
}

export interface HeatmapData {
  id: number
  caseId: number
  modelId: string
  modelVersion: string
  finding: string
  method: string
  width: number
  height: number
  /** Row-major low-resolution map covering the whole image. */
  values: number[]
  params: Record<string, unknown>
  createdAt: string
}
