import type { ModelSummary } from '../../../shared/domain'
import type { ModelEntry } from '../../registry/modelRegistry'
import type { Services } from '../../services/openServices'
import type { HandlersOf } from './types'

function summary({ pkg, source }: ModelEntry, isDefault: boolean): ModelSummary {
  const m = pkg.manifest
  return {
    id: m.id,
    version: m.version,
    sha256: m.sha256,
    findings: m.findings,
    source,
    isDefault,
    intendedUse: m.modelCard.intendedUse,
    headType: m.head.type,
    trainableLayers: pkg.head.length === 1 ? (pkg.lastBlock ? ['head', 'head+last-block'] : ['head']) : [],
  }
}

/** The installed model packages. */
export function modelHandlers(core: Services): HandlersOf<'models:list' | 'models:import'> {
  const { registry } = core
  return {
    'models:list': () => registry.list().map((entry, i) => summary(entry, i === 0)),
    'models:import': ({ dir }) => {
      const entry = registry.import(dir)
      const first = registry.list()[0]
      return summary(entry, first?.pkg.dir === entry.pkg.dir)
    },
  }
}
