import type { HeatmapData } from '../../../shared/domain'
import type { AnnotationService } from '../../annotations/annotationService'
import { NotFoundError } from '../../errors/domainErrors'
import type { Services } from '../../services/openServices'
import { writingReader } from '../session'
import type { HandlersOf } from './types'

/** Stored heatmaps, by their key or id, their edit history, and a reader's edit. */
export function heatmapHandlers(
  core: Services,
  annotations: AnnotationService,
): HandlersOf<'heatmaps:get' | 'heatmaps:byId' | 'heatmaps:versions' | 'heatmaps:saveEdit'> {
  const { store } = core
  const wire = (map: ReturnType<typeof store.results.heatmapById>): HeatmapData | null => {
    if (!map) return null
    const { data, ...rest } = map
    return { ...rest, values: Array.from(data) }
  }
  return {
    'heatmaps:get': ({ caseId, model, version, finding, method }) => wire(store.results.heatmap(caseId, model, version, finding, method)),
    'heatmaps:byId': ({ id }) => wire(store.results.heatmapById(id)),
    'heatmaps:versions': ({ id }) => {
      if (!store.results.heatmapById(id)) throw new NotFoundError(`Heatmap ${id}`)
      return store.results.versions(id)
    },
    'heatmaps:saveEdit': ({ baseId, values }, context) => annotations.saveHeatmapEdit(baseId, writingReader(context), values),
  }
}
