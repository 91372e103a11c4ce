import type { ImportSummary } from '../../shared/domain'
import type { CaseStore } from '../store/caseStore'

/**
 * What an import source hands the pipeline (src/main/cases/importPipeline.ts). A source is a place
 * cases come from: an NIH folder with its CSVs, a DICOM folder, and next a PACS that sends
 * instances. The pipeline does the rest the same way for all: read under the file-safety rules,
 * hash, skip what is stored, decode in parallel within a byte budget, commit in batches, cancel,
 * progress, one summary.
 */

/** One thing to import. */
export interface ImportItem<M = unknown> {
  /** the name the summary and messages give it (relative to what the user chose; never a patient's name) */
  name: string
  /** a file to read (cases/regularFile.ts rules: regular files only, at most MAX_FILE_BYTES) … */
  path?: string | Buffer
  /** … or its bytes, already received (a PACS C-STORE) */
  bytes?: Uint8Array
  /** what the source knew about it before reading (a CSV row, the sending AE, …) */
  meta: M
}

/** The summary an import builds; warnings always present (the CLI prints them, the JSON carries them). */
export type ImportTally = ImportSummary & { warnings: string[] }

export interface SourceListing<M> {
  /** the items in order; an async iterable for a source that receives them over time, pulled as decoders free up */
  items: Iterable<ImportItem<M>> | AsyncIterable<ImportItem<M>>
  /** how many items, where known up front (progress is "done of total") */
  total?: number
}

export interface ImportSource<M, P> {
  /** what progress counts: "images", "files" */
  readonly unit: string
  /** items decoded at once (default 6: libvips spreads them over the libuv thread pool) */
  readonly concurrency?: number
  /**
   * Bytes one item of `size` bytes charges against the decoders' shared budget while it is read
   * and decoded (default: its size). A source whose decode holds several copies says so here.
   */
  cost?(size: number): number
  /**
   * Everything before the first read: the items, and what the summary knows already (scanned,
   * entries refused while listing, CSV rows without an image). Throws, with nothing written, when
   * the source itself cannot be read.
   */
  list(summary: ImportTally): SourceListing<M>
  /** A reason to refuse the read bytes before they are even hashed (e.g. no DICM marker); null to go on. */
  refuse?(bytes: Uint8Array, item: ImportItem<M>): string | null
  /**
   * From the bytes of an item not yet stored to what commits: decode, thumbnail, derived files,
   * pseudonyms. Runs concurrently with other items; throws to fail this item only.
   */
  prepare(bytes: Uint8Array, sha256: string, item: ImportItem<M>): Promise<P>
  /** Inside the batch's transaction: stores the new case (and its thumbnail); returns its id. */
  insert(store: CaseStore, prepared: P, sha256: string, item: ImportItem<M>, summary: ImportTally): number
  /** Inside the batch's transaction, for each item that ended with a case, new or already stored (labels). */
  attach?(store: CaseStore, caseId: number, item: ImportItem<M>, summary: ImportTally): void
  /** In the closing transaction, before the audit row: what needs every case committed first (boxes). */
  settle?(store: CaseStore, summary: ImportTally, cancelled: boolean, actor: string): void
  /** The audit row of the import (action and detail), written in the closing transaction. */
  audit(summary: ImportTally, cancelled: boolean): { action: string; detail: Record<string, unknown> }
  /** Releases what the source holds (e.g. the sealed re-identification log); called once, always. */
  close?(): void
}

/** Thrown when an import is cancelled: what committed stays, and `partial` says what that was. */
export class ImportCancelledError extends Error {
  constructor(readonly partial: ImportSummary) {
    super(`Import cancelled after ${partial.imported} new image(s); those stay imported.`)
    this.name = 'ImportCancelledError'
  }
}

export interface ImportHooks {
  onProgress?: (done: number, total: number, message: string) => void
  signal?: AbortSignal
  actor?: string
  /** items decoded at once (overrides the source's) */
  concurrency?: number
  /** items per commit (default IMPORT_BATCH) */
  batchSize?: number
}
