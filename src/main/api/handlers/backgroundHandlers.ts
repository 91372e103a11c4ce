import type { Services } from '../../services/openServices'
import type { HandlersOf } from './types'

/** The background analysis queue (jobs/backgroundAnalysis.ts): progress, the open case first, requests, pause and cancel. */
export function backgroundHandlers(
  core: Services,
): HandlersOf<'background:status' | 'background:focus' | 'background:enqueue' | 'background:pause' | 'background:cancel'> {
  return {
    'background:status': () => core.background.status(),
    'background:focus': ({ caseId }) => {
      core.background.focus(caseId)
      return { caseId }
    },
    'background:enqueue': (request) => core.background.enqueue(request),
    'background:pause': ({ paused }) => core.background.setPaused(paused),
    'background:cancel': () => core.background.cancel(),
  }
}
