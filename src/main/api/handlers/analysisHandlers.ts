import { UnsupportedError } from '../../errors/domainErrors'
import type { Services } from '../../services/openServices'
import type { HandlersOf } from './types'
import { oodMark } from '../../store/resultRepository'

/** Model runs and fine-tuning (worker jobs of the job map) and the stored predictions. */
export function analysisHandlers(core: Services): HandlersOf<'analysis:start' | 'training:start' | 'analysis:predictions'> {
  const { store, registry, jobs } = core
  return {
    'analysis:start': (request) => {
      registry.get(request.model, request.version) // fail now, with the list of installed models, not later in the worker
      return { jobId: jobs.start('analyze', request) }
    },
    'training:start': (request) => {
      const { pkg } = registry.get(request.model, request.version)
      // Refuse now, with the reason, rather than in the worker.
      if (request.layers === 'head+last-block' && !pkg.lastBlock)
        throw new UnsupportedError(pkg.lastBlockMissing ?? `${pkg.manifest.id} has no trainable last block`)
      return { jobId: jobs.start('train', request) }
    },
    'analysis:predictions': ({ caseId, model, version }) => {
      const acquisition = store.cases.get(caseId)?.acquisitionFlag ?? null
      if (registry.list().length === 0)
        return { model: null, probabilities: [], ood: oodMark(undefined, acquisition), oodUnavailable: null }
      const { pkg } = registry.get(model, version)
      const { manifest } = pkg
      return {
        model: { id: manifest.id, version: manifest.version },
        probabilities: store.results.predictions(caseId, manifest.id, manifest.version),
        ood: oodMark(store.results.ood(caseId, manifest.id, manifest.version), acquisition),
        oodUnavailable: pkg.ood ? null : (pkg.oodMissing ?? null),
      }
    },
  }
}
