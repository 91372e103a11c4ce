/** Domain types shared by main, preload and renderer. Plain data only: they cross IPC and WebSocket. */
import type { ExplainMethod } from './explainMethods'

export type CaseStatus = 'new' | 'in_review' | 'reviewed'
export const CASE_STATUSES: readonly CaseStatus[] = ['new', 'in_review', 'reviewed']

export type AnnotationSource = 'dataset' | 'reader'

export type WorklistSort = 'image' | 'imported' | 'age' | 'status' | 'boxes'

export interface WorklistQuery {
  /** counts this reader's boxes apart from everyone else's */
  readerId?: number
  finding?: string
  hasBoxes?: boolean
  status?: CaseStatus
  search?: string
  sort?: WorklistSort
  order?: 'asc' | 'desc'
  offset?: number
  limit?: number
}

/**
 * Whether a case lies outside what a model was made for (issue 18): the model's own in-distribution
 * score against the threshold shipped with it, and what the image's header says before any model runs.
 */
export interface OodMark {
  /** mahalanobis: distance of the pooled features to the training statistics; energy: the logits' joint energy */
  method: 'mahalanobis' | 'energy' | null
  /** higher = further from the training data; null when the model has no statistics (or gave a non-finite output) */
  score: number | null
  threshold: number | null
  /** the score is above the threshold, or the header flags the image */
  flagged: boolean
  /** the header's reason ("DICOM ViewPosition is LL: a lateral view"), or null */
  acquisition: string | null
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
  /** live boxes drawn by the reader the query names, and by everyone else (dataset included) */
  myBoxes: number
  otherBoxes: number
  /** the default model's highest probabilities, when it has run on the case */
  topFindings: Array<{ finding: string; probability: number }>
  /** the default model's out-of-distribution mark and the header's flag; null when neither is known */
  ood: OodMark | null
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
  readerId: number | null
  createdAt: string
  updatedAt: string
}

export type ReaderRole = 'radiologist' | 'clinical_advisor'

export const READER_ROLES = ['radiologist', 'clinical_advisor'] as const

export interface Reader {
  id: number
  name: string
  role: ReaderRole
  /** May create clinical advisors and administrators and change roles; set from the CLI only at first. */
  administrator: boolean
  /** false for a reader made before secrets existed: it cannot log in until one is set from the CLI. */
  hasSecret: boolean
  createdAt: string
}

/**
 * Model management and fine-tuning are for clinical advisors and administrators, not for reading: the
 * renderer shows the Models dialog by it and the server's access table ('advisor') refuses by it.
 */
export function canManageModels(reader: Pick<Reader, 'role' | 'administrator'> | null): boolean {
  return !!reader && (reader.role === 'clinical_advisor' || reader.administrator)
}

/** A box as the reader draws it, in image pixels. */
export interface BoxDraft {
  finding: string
  x: number
  y: number
  w: number
  h: number
}

export interface HeatmapVersion {
  id: number
  editedFrom: number | null
  author: string | null
  createdAt: string
}

export interface CaseDetail extends WorklistRow {
  path: string
  sha256: string
  format: string
  bitDepth: number | null
  /**
   * The file's own default window (DICOM WindowCenter/WindowWidth), in the stored image's pixel
   * values (0–65535 for a DICOM-derived 16-bit PNG: import maps it as it maps the pixels); null when
   * the file named none (every PNG/JPEG import). The viewer opens the case at it.
   */
  windowCenter: number | null
  windowWidth: number | null
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
  /** Imported, but to be looked at: DICOM BurnedInAnnotation is YES, or a coded value (sex, view, age, size, spacing) stored as unknown; one line per file or CSV line. */
  warnings?: string[]
}

export interface JobProgress {
  jobId: string
  done: number
  total: number
  message: string
}

export type JobState = 'running' | 'succeeded' | 'failed' | 'cancelled'

export interface AppInfo {
  name: string
  version: string
  dataDir: string
  schemaVersion: number
  transport: 'electron' | 'web'
  nativeDialogs: boolean
  database: DatabaseHealth
  /** the site's re-identification link (off by default); warnings name plaintext identifiers found */
  reidentification: ReidentificationStatus
  /** what the machine policy set (IT's config.json); a user cannot override these */
  policy: MachinePolicyInfo
  /** this installation's log file */
  logFile: string | null
}

/** The machine policy as the app shows it; `enforced` lists the fields the file sets. */
export interface MachinePolicyInfo {
  file: string | null
  enforced: string[]
  /** "machine", "user" or a folder; null when the policy leaves it to the user */
  dataFolder: string | null
  pseudonymKey: string | null
  /** DICOMweb entries have `url`; DIMSE entries (listed, not used) `aeTitle`, `host`, `port` */
  pacs: Array<{ name: string; url?: string; aeTitle?: string; host?: string; port?: number }>
  features: { fineTuning: boolean; browserMode: boolean }
  logLevel: string | null
}

/** Where `diagnostics:export` wrote its bundle. */
export interface DiagnosticsResult {
  path: string
  bytes: number
  entries: string[]
}

/** Off by default; when on, records are sealed to the data protection officer's public key. */
export interface ReidentificationStatus {
  enabled: boolean
  keyId: string | null
  /** the sealed file when it holds records */
  sealedFile: string | null
  sealedBytes: number
  /** a plaintext table left by an earlier version (must be sealed) */
  legacyPlaintext: string | null
  warnings: string[]
}

/** The startup `PRAGMA quick_check`: a damaged database is kept closed until a backup is restored. */
export type DatabaseHealth = { state: 'ok' } | { state: 'damaged'; problems: string[]; latestBackup: BackupInfo | null }

/** A snapshot in `<data folder>/backups` (files are named by the app; only the name crosses the API). */
export interface BackupInfo {
  name: string
  kind: 'scheduled' | 'pre-migration' | 'pre-restore' | 'manual'
  createdAt: string
  bytes: number
}

export interface RestoreResult {
  restored: string
  /** Snapshot of the replaced database in backups/ (null when it was too damaged to snapshot). */
  safetyBackup: string | null
  /** The replaced file itself, kept beside the database. */
  previousFile: string | null
  schemaVersion: number
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
  /** what fine-tuning can train on this model ('head+last-block' only when its last block is a 1×1 convolution) */
  trainableLayers: TrainLayers[]
}

export type TrainLayers = 'head' | 'head+last-block'
export const TRAIN_LAYERS: readonly TrainLayers[] = ['head', 'head+last-block']

export interface CasePredictions {
  model: { id: string; version: string } | null
  probabilities: Array<{ finding: string; probability: number }>
  /** this model's out-of-distribution mark on the case and the header's flag (null: neither known) */
  ood: OodMark | null
  /** why this model has no out-of-distribution check ("no out-of-distribution check: …"), or null */
  oodUnavailable: string | null
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
  /** the heatmap this one was edited from (null for the model's own map) */
  editedFrom: number | null
  author: string | null
  createdAt: string
}

export interface DashboardQuery {
  model?: string
  version?: string
  method: ExplainMethod
  finding?: string
  /** score against this reader's boxes only (default: every reader's and the dataset's) */
  readerId?: number
}

export interface DashboardLocalization {
  n_boxes: number
  iobb_acc: { '0.1': number | null; '0.25': number | null; '0.5': number | null }
  iou_mean: number | null
  hit_rate: number | null
}

export type PaperThreshold = '0.1' | '0.25' | '0.5' | '0.75' | '0.9'

/** The ChestX-ray8 paper's protocol (maps to [0, 255], thresholds 60 and 180, IoBB > T strictly). */
export interface DashboardPaperLocalization {
  n_boxes: number
  iobb_acc: Record<PaperThreshold, number | null>
}

/** A trivial answer scored on the same boxes: under the CXR Lens masks and under the paper's protocol. */
export interface DashboardBaseline extends Omit<DashboardLocalization, 'n_boxes'> {
  paper_iobb_acc: Record<PaperThreshold, number | null>
}

export interface DashboardData {
  model: { id: string; version: string } | null
  method: string
  cases: number
  localization: Record<string, DashboardLocalization>
  /** the same maps and boxes under the paper's protocol: what `paper` is compared with */
  localizationChestXray8: Record<string, DashboardPaperLocalization>
  /** the model's fixed prior box (when its manifest has one) and a seeded random map, on the same boxes */
  baselines: Record<string, { prior: DashboardBaseline | null; random: DashboardBaseline }>
  /** ChestX-ray8 (Wang et al. 2017) Table 4 T(IoBB) rows */
  paper: Record<PaperThreshold, Record<string, number>>
  classification: Record<string, { n_pos: number; auroc: number | null; auroc_ci: [number, number] | null; roc: Array<[number, number]> }>
  macroAuroc: number | null
  /** model confidence against heatmap IoU, one point per case and boxed finding */
  scatter: Array<{ caseId: number; image: string; finding: string; probability: number; iou: number }>
  /** IoU between different readers' boxes for the same case and finding */
  agreement: Record<string, { pairs: number; meanIou: number | null }>
  /** patient-bootstrap 95% interval of macroAuroc (null when too few cases for one) */
  macroAurocCi?: [number, number] | null
  /** per finding: cases with this model's predictions that are positive / negative, and the boxes scored */
  counts?: Record<string, { positives: number; negatives: number; boxes: number }>
  /** the method's model-randomization check as `evaluate --sanity` last stored it for this model version */
  sanity?: DashboardSanity | null
}

/** The last stored randomization check of a model version and method, or why it could not be read. */
export type DashboardSanity =
  | {
      state: 'stored'
      method: string
      model: { id: string; version: string }
      recordedAt: string
      images: number
      seed: number
      fails: boolean
      /** per randomized layer set ('head', 'head+last-block'): the verdict and its reasons */
      verdict: Record<string, { fails: boolean; reasons: string[] }>
    }
  | { state: 'unreadable'; file: string; error: string }
