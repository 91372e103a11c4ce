import { pushCase } from '../../pacs/pushResults'
import { UnknownPacsError, type PacsTargets } from '../../pacs/pushTargets'
import type { Services } from '../../services/openServices'
import { writingReader } from '../session'
import type { HandlersOf } from './types'

/** The default model's map goes as the Secondary Capture; with no model installed only the SR is sent. */
function defaultModel(core: Services): { id: string; version: string } | null {
  try {
    const { id, version } = core.registry.get().pkg.manifest
    return { id, version }
  } catch {
    return null
  }
}

/** "Send to PACS" in the case view: one case, sent as the logged-in reader (access.ts refuses anyone else). */
export function pacsPushHandlers(core: Services, targets: PacsTargets): HandlersOf<'pacs:push' | 'pacs:pushTargets'> {
  return {
    'pacs:pushTargets': () => ({ names: targets.names() }),
    'pacs:push': async ({ caseId, pacs, withModel }, context) => {
      const readerId = writingReader(context)
      const names = targets.names()
      if (!names.includes(pacs)) throw new UnknownPacsError(pacs, names)
      const reader = core.store.readers.get(readerId)!
      return pushCase(
        { store: core.store, dataDir: core.dataDir, transport: targets.transport(pacs), pacsName: pacs, actor: reader.name, readerId },
        caseId,
        { model: defaultModel(core), withModel },
      )
    },
  }
}
