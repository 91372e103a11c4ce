/**
 * Report PDFs in the desktop app, printed by Electron's own renderer: no system browser needed, and
 * the page runs in Electron's sandbox. A hidden window in an in-memory session of its own (not the
 * app's: no cookies, storage or CSP of the main window apply) loads the report from a temporary
 * file; every request but that file is cancelled, scripts are off, and the window is destroyed
 * after printing. The footer (notice, page n / N) is the same template the CLI's Chromium prints.
 */
import { BrowserWindow, session } from 'electron'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PDF_FOOTER_TEMPLATE, PDF_HEADER_TEMPLATE, PDF_MARGINS_MM } from '../evaluation/reportFrame'

const PARTITION = 'cxr-lens-report-print' // no "persist:" prefix: in memory only
const inches = (mm: number) => mm / 25.4
/** the report files being printed now: the only URLs the print session loads */
const printing = new Set<string>()

export async function electronRenderPdf(html: string): Promise<Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), 'cxr-lens-report-'))
  const file = join(dir, 'report.html')
  writeFileSync(file, html)
  const url = pathToFileURL(file).href
  const printSession = session.fromPartition(PARTITION)
  // one listener per session (a second registration replaces the first): it admits every print in progress
  printing.add(url)
  printSession.webRequest.onBeforeRequest((details, callback) =>
    callback({ cancel: !(printing.has(details.url) || details.url.startsWith('data:')) }),
  )
  const window = new BrowserWindow({
    show: false,
    webPreferences: {
      session: printSession,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      javascript: false,
      webSecurity: true,
    },
  })
  try {
    await window.loadURL(url)
    const pdf = await window.webContents.printToPDF({
      pageSize: 'A4',
      printBackground: true,
      displayHeaderFooter: true,
      headerTemplate: PDF_HEADER_TEMPLATE,
      footerTemplate: PDF_FOOTER_TEMPLATE,
      margins: {
        top: inches(PDF_MARGINS_MM.top),
        bottom: inches(PDF_MARGINS_MM.bottom),
        left: inches(PDF_MARGINS_MM.left),
        right: inches(PDF_MARGINS_MM.right),
      },
    })
    // a plain Uint8Array, not a Buffer: what the contract's transports carry unchanged
    return new Uint8Array(pdf.buffer, pdf.byteOffset, pdf.byteLength)
  } finally {
    printing.delete(url)
    window.destroy()
    rmSync(dir, { recursive: true, force: true })
  }
}
