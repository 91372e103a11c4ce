import { AnnotationService } from '../annotations/annotationService'
import { dashboard } from '../validation/dashboard'
import { dashboardCsv, dashboardHtml } from '../validation/dashboardExport'
import type { Core } from './core'
import type { Handlers } from './dispatch'
import { NotFoundError } from './errors'

type AnnotationChannels =
  | 'heatmaps:byId' | 'heatmaps:versions' | 'heatmaps:saveEdit' | 'readers:list' | 'readers:create' | 'boxes:create' | 'boxes:update'
  | 'boxes:delete' | 'boxes:restore' | 'cases:setStatus' | 'validation:dashboard' | 'validation:export'

/** Readers, their boxes and heatmap edits, case review status, and the validation dashboard. */
export function createAnnotationHandlers(core: Core): Pick<Handlers, AnnotationChannels> {
  const { store, registry } = core
  const service = new AnnotationService(store)
  return {
    'heatmaps:byId': ({ id }) => {
      const map = store.results.heatmapById(id)
      if (!map) return null
      const { data, ...rest } = map
      return { ...rest, values: Array.from(data) }
    },
    'heatmaps:versions': ({ id }) => {
      if (!store.results.heatmapById(id)) throw new NotFoundError(`Heatmap ${id}`)
      return store.results.versions(id)
    },
    'heatmaps:saveEdit': ({ baseId, readerId, values }) => service.saveHeatmapEdit(baseId, readerId, values),
    'readers:list': () => store.readers.list(),
    'readers:create': ({ name, role }) => store.readers.create(name, role),
    'boxes:create': ({ caseId, readerId, box }) => service.createBox(caseId, readerId, box),
    'boxes:update': ({ boxId, readerId, box }) => service.updateBox(boxId, readerId, box),
    'boxes:delete': ({ boxId, readerId }) => {
      service.deleteBox(boxId, readerId)
      return { deleted: true as const }
    },
    'boxes:restore': ({ boxId, readerId }) => service.restoreBox(boxId, readerId),
    'cases:setStatus': ({ caseId, readerId, status }) => {
      service.setStatus(caseId, readerId, status)
      return { status }
    },
    'validation:dashboard': (query) => dashboard(store, registry, query),
    'validation:export': ({ format, ...query }) => {
      const data = dashboard(store, registry, query)
      const name = `cxr-lens-validation-${data.model?.id ?? 'none'}-${query.method}`
      return format === 'csv'
        ? { filename: `${name}.csv`, mime: 'text/csv', content: dashboardCsv(data) }
        : { filename: `${name}.html`, mime: 'text/html', content: dashboardHtml(data) }
    },
  }
}
