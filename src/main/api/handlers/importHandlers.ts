import { NotFoundError } from '../../errors/domainErrors'
import type { Services } from '../../services/openServices'
import { sampleImportRequest } from '../../config/sampleDir'
import type { HandlersOf } from './types'

/** Imports start as worker jobs; any job (import, analysis, training) is followed and cancelled here. */
export function importHandlers(core: Services): HandlersOf<'import:start' | 'import:dicom' | 'jobs:get' | 'jobs:cancel' | 'sample:import'> {
  const { jobs } = core
  return {
    'import:start': (request) => {
      core.background.prewarm()
      return { jobId: jobs.start('import', request) }
    },
    // The bundled first-run sample, through the ordinary import.
    'sample:import': () => {
      core.background.prewarm()
      return { jobId: jobs.start('import', sampleImportRequest()) }
    },
    'import:dicom': (request) => ({ jobId: jobs.start('importDicom', request) }),
    'jobs:get': ({ jobId }) => {
      const status = jobs.get(jobId)
      if (!status) throw new NotFoundError(`Job ${jobId}`)
      return status
    },
    'jobs:cancel': ({ jobId }) => ({ cancelled: jobs.cancel(jobId) }),
  }
}
