import { NotFoundError } from '../../errors/domainErrors'
import type { Services } from '../../services/openServices'
import type { HandlersOf } from './types'

/** Imports start as worker jobs; any job (import, analysis, training) is followed and cancelled here. */
export function importHandlers(core: Services): HandlersOf<'import:start' | 'import:dicom' | 'jobs:get' | 'jobs:cancel'> {
  const { jobs } = core
  return {
    'import:start': (request) => ({ jobId: jobs.start('import', request) }),
    'import:dicom': (request) => ({ jobId: jobs.start('importDicom', request) }),
    'jobs:get': ({ jobId }) => {
      const status = jobs.get(jobId)
      if (!status) throw new NotFoundError(`Job ${jobId}`)
      return status
    },
    'jobs:cancel': ({ jobId }) => ({ cancelled: jobs.cancel(jobId) }),
  }
}
