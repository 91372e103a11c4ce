import { isAdministrator } from '../../readers/readerAccounts'
import { PacsConnections, type PacsActor } from '../../pacs/pacsConnections'
import type { Services } from '../../services/openServices'
import { DEFAULT_STUDY_LIMIT } from '../../../shared/pacsSchemas'
import { sessionReader } from '../access'
import type { RequestContext } from '../session'
import type { HandlersOf } from './types'

/**
 * The PACS screen's channels; the logic is in src/main/pacs. A search's patient ID goes to the PACS
 * and back as matches; nothing of it is stored or logged here. A pull is a worker job (pacsPull),
 * started like import:dicom, so background analysis picks the new cases up as it does imported ones.
 */
export function pacsHandlers(
  core: Services,
): HandlersOf<'pacs:list' | 'pacs:add' | 'pacs:remove' | 'pacs:test' | 'pacs:query' | 'pacs:pull'> {
  const connections = () => new PacsConnections(core.store, core.dataDir)
  const actor = (context: RequestContext): PacsActor => {
    const reader = sessionReader(core, context)
    // access.ts lets only an administrator through to add and remove; the CLI's name is for completeness.
    if (reader && isAdministrator({ kind: 'reader', reader })) return { name: reader.name, readerId: reader.id }
    return { name: '(anonymous)', readerId: null }
  }
  return {
    'pacs:list': () => connections().list(),
    'pacs:add': (input, context) => connections().add(input, actor(context)),
    'pacs:remove': ({ name }, context) => {
      connections().remove(name, actor(context))
      return { removed: true as const }
    },
    'pacs:test': ({ name }) => connections().test(name),
    'pacs:query': async ({ name, query }) => {
      const pacs = connections()
      const found = pacs.get(name)
      // Shown, not stored: the matches go back to the screen that asked.
      const studies = await pacs.client(found.name).searchStudies({ ...query, limit: query.limit ?? DEFAULT_STUDY_LIMIT })
      return { pacs: found.name, studies }
    },
    'pacs:pull': (request) => {
      connections().get(request.pacs) // an unknown name is refused now, not in the worker
      core.background.prewarm()
      return { jobId: core.jobs.start('pacsPull', request) }
    },
  }
}
