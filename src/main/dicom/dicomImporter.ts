import { defaultModelInputs } from '../cases/defaultModelInputs'
import { runImport } from '../cases/importPipeline'
import { DataFolder } from '../config/dataFolder'
import type { ImportHooks, ImportTally } from '../cases/importSource'
import type { CaseStore } from '../store/caseStore'
import { DicomFolderSource, type DicomImportRequest } from './dicomSource'

export type { DicomImportRequest }

/**
 * Imports a folder of DICOM files (recursively), de-identified on the way in: only pseudonyms, sex,
 * age, view and pixel spacing reach the case database. The one import pipeline, as for NIH: a file
 * that cannot be read is reported by name and skipped, the rest commits in batches, re-imports add
 * nothing twice, and a cancel stops it keeping what committed (ImportCancelledError).
 */
export function importDicom(store: CaseStore, request: DicomImportRequest, hooks: ImportHooks = {}): Promise<ImportTally> {
  const source = new DicomFolderSource(request)
  source.modelInputs = defaultModelInputs(store, new DataFolder(request.dataDir))
  return runImport(store, source, hooks)
}
