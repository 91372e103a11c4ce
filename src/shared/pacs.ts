/**
 * PACS (DICOMweb) types the app, the CLI and main share: connections as listed (never a secret),
 * the study search a reader fills in, and the studies found. Found studies are shown, never stored.
 */
import type { ImportSummary } from './domain'

export const PACS_AUTH_KINDS = ['none', 'basic', 'bearer'] as const
export type PacsAuthKind = (typeof PACS_AUTH_KINDS)[number]

/** A configured PACS as listed: the secret itself never leaves main, only whether there is one. */
export interface PacsConnectionInfo {
  name: string
  /** the DICOMweb root, e.g. http://127.0.0.1:8042/dicom-web */
  url: string
  auth: PacsAuthKind
  user: string | null
  hasSecret: boolean
  /** 'policy': set by the machine policy (cannot be edited or removed here); 'user': added in the app or the CLI */
  source: 'policy' | 'user'
  createdAt: string | null
}

/** QIDO-RS study search. The patient ID is sent to the PACS only: never stored, never logged. */
export interface StudyQuery {
  /** YYYYMMDD, inclusive */
  since?: string
  /** YYYYMMDD, inclusive */
  until?: string
  modality?: 'CR' | 'DX'
  accession?: string
  patientId?: string
  limit?: number
  offset?: number
}

/** One study found: what the search list shows. Shown, not stored. */
export interface StudyMatch {
  studyInstanceUid: string
  /** YYYYMMDD */
  date: string | null
  modalities: string[]
  instances: number | null
  accession: string | null
  description: string | null
}

export interface PacsTestResult {
  name: string
  ok: boolean
  /** what was checked, in order: reachable, authenticated, DICOMweb root found */
  steps: Array<{ step: 'reachable' | 'authenticated' | 'dicomweb'; ok: boolean }>
  /** the named error's code when not ok */
  code: string | null
  message: string
  milliseconds: number
}

/** What `pacs pull` (and the pacsPull job) is asked for: studies by UID, or every study in a date range. */
export interface PacsPullRequest {
  pacs: string
  studies?: string[]
  since?: string
  until?: string
}

/** What a pull did: the import summary (same fields, same order as `cxr-lens import --json`), then the PACS and the studies asked for. */
export type PacsPullSummary = ImportSummary & {
  warnings: string[]
  pacs: string
  studies: number
  /** other workstations' boxes imported from the CXR Lens SRs the PACS holds for the pulled studies */
  readerBoxes: { srs: number; boxes: number; readersAdded: string[] }
}
