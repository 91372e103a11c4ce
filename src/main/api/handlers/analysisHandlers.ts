import { UnsupportedError } from '../../errors/domainErrors'
import type { Services } from '../../services/openServices'
import type { HandlersOf } from './types'

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
      if (registry.list().length === 0) return { model: null, probabilities: [] }
      const { manifest } = registry.get(model, version).pkg
      return {
        model: { id: manifest.id, version: manifest.version },
        probabilities: store.results.predictions(caseId, manifest.id, manifest.version),
      }
    },
  }
}
