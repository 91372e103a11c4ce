import { AnnotationService } from '../annotations/annotationService'
import { ReaderAccounts, type Actor } from '../readers/readerAccounts'
import { dashboard } from '../validation/dashboard'
import { dashboardCsv, dashboardHtml } from '../validation/dashboardExport'
import type { Core } from './core'
import type { Handlers } from './dispatch'
import { NotFoundError } from '../errors/domainErrors'
import { sessionReader } from './access'
import type { RequestContext } from './session'

type AnnotationChannels =
  | 'heatmaps:byId' | 'heatmaps:versions' | 'heatmaps:saveEdit' | 'readers:list' | 'readers:create' | 'readers:login' | 'readers:logout'
  | 'readers:setRole' | 'boxes:create' | 'boxes:update'
  | 'boxes:delete' | 'boxes:restore' | 'cases:setStatus' | 'validation:dashboard' | 'validation:export'

/**
 * Readers, their boxes and heatmap edits, case review status, and the validation dashboard. Writes
 * take their reader from the session (access.ts has already refused an anonymous connection and a
 * request naming another reader).
 */
export function createAnnotationHandlers(core: Core): Pick<Handlers, AnnotationChannels> {
  const { store, registry } = core
  const service = new AnnotationService(store)
  const accounts = new ReaderAccounts(store)
  const me = (context: RequestContext): number => {
    const id = context.session.readerId
    if (id === null) throw new Error('internal: a write reached its handler without a session reader')
    return id
  }
  const actor = (context: RequestContext): Actor => {
    const reader = sessionReader(core, context)
    return reader ? { kind: 'reader', reader } : { kind: 'anonymous' }
  }
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
    'heatmaps:saveEdit': ({ baseId, values }, context) => service.saveHeatmapEdit(baseId, me(context), values),
    'readers:list': () => store.readers.list(),
    'readers:create': async (input, context) => {
      const by = actor(context)
      const reader = await accounts.create(input, by)
      // Self-enrolment: whoever made their own radiologist account is now logged in as it.
      if (by.kind === 'anonymous' || (by.kind === 'reader' && !by.reader.administrator)) context.session.readerId = reader.id
      return reader
    },
    'readers:login': async ({ readerId, secret }, context) => {
      context.session.readerId = null // a failed login leaves the connection anonymous, not as it was
      const reader = await accounts.login(readerId, secret)
      context.session.readerId = reader.id
      return reader
    },
    'readers:logout': (_request, context) => {
      const reader = sessionReader(core, context)
      context.session.readerId = null
      if (reader) store.audit.append(reader.name, 'reader.logout', null, {}, new Date().toISOString(), reader.id)
      return { loggedOut: true as const }
    },
    'readers:setRole': ({ id, role, administrator }, context) => accounts.setRole(id, role, administrator, actor(context)),
    'boxes:create': ({ caseId, box }, context) => service.createBox(caseId, me(context), box),
    'boxes:update': ({ boxId, box }, context) => service.updateBox(boxId, me(context), box),
    'boxes:delete': ({ boxId }, context) => {
      service.deleteBox(boxId, me(context))
      return { deleted: true as const }
    },
    'boxes:restore': ({ boxId }, context) => service.restoreBox(boxId, me(context)),
    'cases:setStatus': ({ caseId, status }, context) => {
      service.setStatus(caseId, me(context), status)
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
