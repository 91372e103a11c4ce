/**
 * The desktop app's PDF printer against a stand-in for Electron (no Electron binary on CI): it must
 * print in a hidden, sandboxed window with scripts off, in a session of its own that lets through
 * only the report's own file, with the shared footer (notice and page n / N), and leave nothing behind.
 */
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, vi } from 'vitest'
import { NOT_FOR_DIAGNOSIS, PDF_FOOTER_TEMPLATE } from '../../src/main/evaluation/reportFrame'

const seen: {
  options?: Record<string, unknown>
  url?: string
  html?: string
  print?: Record<string, unknown>
  filter?: (d: { url: string }, cb: (r: { cancel: boolean }) => void) => void
  destroyed?: boolean
  cancelled?: boolean[]
} = {}

vi.mock('electron', () => ({
  session: {
    fromPartition: (name: string) => {
      expect(name.startsWith('persist:')).toBe(false)
      return { webRequest: { onBeforeRequest: (fn: typeof seen.filter) => (seen.filter = fn) } }
    },
  },
  BrowserWindow: class {
    webContents = {
      printToPDF: async (options: Record<string, unknown>) => {
        seen.print = options
        return Buffer.from('%PDF-1.4 test')
      },
    }
    constructor(options: Record<string, unknown>) {
      seen.options = options
    }
    async loadURL(url: string) {
      seen.url = url
      seen.html = readFileSync(fileURLToPath(url), 'utf8')
      // what the session's filter lets through while this print is in progress
      seen.cancelled = [url, 'data:image/png;base64,AA==', 'https://example.org/x.png', 'file:///etc/passwd'].map((u) => {
        let cancel = false
        seen.filter!({ url: u }, (r) => (cancel = r.cancel))
        return cancel
      })
    }
    destroy() {
      seen.destroyed = true
    }
  },
}))

const { electronRenderPdf } = await import('../../src/main/ipc/reportPdf')

describe("the desktop app's report printer", () => {
  it('prints the page sandboxed, offline, with the footer, and removes its temporary file', async () => {
    const bytes = await electronRenderPdf('<!doctype html><p>report</p>')
    expect(Buffer.isBuffer(bytes)).toBe(false)
    expect(new TextDecoder().decode(bytes)).toBe('%PDF-1.4 test')
    expect(seen.options).toMatchObject({
      show: false,
      webPreferences: { sandbox: true, javascript: false, nodeIntegration: false, contextIsolation: true },
    })
    expect(seen.html).toBe('<!doctype html><p>report</p>')
    expect(seen.print).toMatchObject({
      displayHeaderFooter: true,
      footerTemplate: PDF_FOOTER_TEMPLATE,
      printBackground: true,
      pageSize: 'A4',
    })
    expect(PDF_FOOTER_TEMPLATE).toContain('class="pageNumber"')
    expect(PDF_FOOTER_TEMPLATE).toContain('class="totalPages"')
    expect(PDF_FOOTER_TEMPLATE).toContain(NOT_FOR_DIAGNOSIS)
    // the report's own file and its data: images load; nothing else, on the network or on disk
    expect(seen.cancelled).toEqual([false, false, true, true])
    expect(seen.destroyed).toBe(true)
    expect(existsSync(fileURLToPath(seen.url!))).toBe(false)
  })
})
