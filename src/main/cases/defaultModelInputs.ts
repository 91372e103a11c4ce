/**
 * Which model an import keeps inputs for: the default one (the registry's first, which background
 * analysis runs on every imported case), in the data folder's model-input cache. None when no model
 * is installed or none can be listed: the import goes on, and analysis decodes the images itself.
 */
import type { DataFolder } from '../config/dataFolder'
import { preprocessSpecOf } from '../model/preprocess'
import { ModelRegistry } from '../registry/modelRegistry'
import type { CaseStore } from '../store/caseStore'
import { ModelInputCache, type ModelInputTarget } from './modelInputCache'

export function defaultModelInputs(store: CaseStore, folder: DataFolder): ModelInputTarget | null {
  try {
    const first = new ModelRegistry(store, folder.models).list()[0]
    if (!first) return null
    return { cache: new ModelInputCache(folder.modelInputs), spec: preprocessSpecOf(first.pkg.manifest) }
  } catch {
    return null
  }
}
