import type { Services } from '../../services/openServices'
import { dashboard } from '../../validation/dashboard'
import { dashboardCsv, dashboardHtml } from '../../validation/dashboardExport'
import type { HandlersOf } from './types'

/** The validation dashboard and its CSV / HTML export. */
export function validationHandlers(core: Services): HandlersOf<'validation:dashboard' | 'validation:export'> {
  const { store, registry } = core
  return {
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
