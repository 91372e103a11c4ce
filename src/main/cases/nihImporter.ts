import type { ImportRequest } from '../../shared/domain'
import type { CaseStore } from '../store/caseStore'
import { DataFolder } from '../config/dataFolder'
import { DisplayRenditions } from './displayRendition'
import { defaultModelInputs } from './defaultModelInputs'
import { runImport } from './importPipeline'
import { ImportCancelledError, type ImportHooks, type ImportTally } from './importSource'
import { NihFolderSource } from './nihSource'

// The job worker catches it from here; the CLI tells a box of another folder's image from a refused row.
export { ImportCancelledError }
export { BOX_IMAGE_NOT_IN_FOLDER } from './nihSource'

/**
 * Imports an NIH ChestX-ray14 layout (images, Data_Entry_2017.csv labels, optionally the box list)
 * through the one import pipeline. Each batch commits on its own, so a corrupt file or a cancel
 * never loses the rest; the content hash makes re-imports add nothing twice.
 */
export function importNih(store: CaseStore, request: ImportRequest, hooks: ImportHooks = {}): Promise<ImportTally> {
  const folder = store.path === ':memory:' ? null : DataFolder.ofDatabase(store.path)
  const renditions = folder ? new DisplayRenditions(folder.displayRenditions) : null
  return runImport(store, new NihFolderSource(request, renditions, folder ? defaultModelInputs(store, folder) : null), hooks)
}
