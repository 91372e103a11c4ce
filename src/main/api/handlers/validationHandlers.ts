import { machinePolicy } from '../../config/policy'
import { htmlToPdf } from '../../interchange/pdf'
import type { Services } from '../../services/openServices'
import { dashboard } from '../../validation/dashboard'
import { dashboardCsv } from '../../validation/dashboardExport'
import { dashboardReport } from '../../validation/dashboardReport'
import type { HandlersOf } from './types'

/** Prints a self-contained report page to PDF bytes (the desktop app injects Electron's printToPDF). */
export type RenderPdf = (html: string) => Promise<Uint8Array>

/**
 * Browser mode and tests have no Electron: they print with a local Chromium, sandboxed (pdf.ts), which
 * refuses with what to do where it cannot run (no browser installed, or root without the explicit allowance).
 */
const systemChromium: RenderPdf = (html) => htmlToPdf(html, { policyPath: machinePolicy().settings.reports?.chromium })

/** The validation dashboard and its CSV / HTML / PDF export. */
export function validationHandlers(
  core: Services,
  renderPdf: RenderPdf = systemChromium,
): HandlersOf<'validation:dashboard' | 'validation:export'> {
  const { store, registry } = core
  return {
    'validation:dashboard': (query) => dashboard(store, registry, query, { dataDir: core.dataDir }),
    'validation:export': async ({ format, ...query }) => {
      const name = `cxr-lens-validation-${query.model ?? (registry.list().length ? registry.get().pkg.manifest.id : 'none')}-${query.method}`
      if (format === 'csv') return { filename: `${name}.csv`, mime: 'text/csv', content: dashboardCsv(dashboard(store, registry, query)) }
      const html = await dashboardReport(core, query)
      if (format === 'html') return { filename: `${name}.html`, mime: 'text/html', content: html }
      return { filename: `${name}.pdf`, mime: 'application/pdf', content: await renderPdf(html) }
    },
  }
}
