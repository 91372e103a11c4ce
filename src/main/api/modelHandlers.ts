import type { HeatmapData, ModelSummary } from '../../shared/domain'
import type { ModelEntry } from '../registry/modelRegistry'
import type { Core } from './core'
import { UnsupportedError } from '../errors/domainErrors'
import type { Handlers } from './dispatch'

function summary({ pkg, source }: ModelEntry, isDefault: boolean): ModelSummary {
  const m = pkg.manifest
  return { id: m.id, version: m.version, sha256: m.sha256, findings: m.findings, source, isDefault, intendedUse: m.modelCard.intendedUse, headType: m.head.type,
    trainableLayers: pkg.head.length === 1 ? (pkg.lastBlock ? ['head', 'head+last-block'] : ['head']) : [] }
}

/** Models, model runs (in the job worker) and their stored results. */
export function createModelHandlers(core: Core): Pick<Handlers, 'models:list' | 'models:import' | 'analysis:start' | 'training:start' | 'analysis:predictions' | 'heatmaps:get'> {
  const { store, registry, jobs } = core
  return {
    'models:list': () => registry.list().map((entry, i) => summary(entry, i === 0)),
    'models:import': ({ dir }) => {
      const entry = registry.import(dir)
      const first = registry.list()[0]
      return summary(entry, first?.pkg.dir === entry.pkg.dir)
    },
    'analysis:start': (request) => {
      registry.get(request.model, request.version) // fail now, with the list of installed models, not later in the worker
      return { jobId: jobs.start('analyze', request) }
    },
    'training:start': (request) => {
      const { pkg } = registry.get(request.model, request.version)
      // Refuse now, with the reason, rather than in the worker.
      if (request.layers === 'head+last-block' && !pkg.lastBlock) throw new UnsupportedError(pkg.lastBlockMissing ?? `${pkg.manifest.id} has no trainable last block`)
      return { jobId: jobs.start('train', request) }
    },
    'analysis:predictions': ({ caseId, model, version }) => {
      if (registry.list().length === 0) return { model: null, probabilities: [] }
      const { manifest } = registry.get(model, version).pkg
      return { model: { id: manifest.id, version: manifest.version }, probabilities: store.results.predictions(caseId, manifest.id, manifest.version) }
    },
    'heatmaps:get': ({ caseId, model, version, finding, method }): HeatmapData | null => {
      const map = store.results.heatmap(caseId, model, version, finding, method)
      if (!map) return null
      const { data, ...rest } = map
      return { ...rest, values: Array.from(data) }
    },
  }
}
