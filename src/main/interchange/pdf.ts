/**
 * PDF from a self-contained report page, for the CLI and browser mode (the desktop app prints with
 * its own renderer: ipc/reportPdf.ts). A local Chromium, Chrome or Edge runs headless with a fresh
 * temporary profile, no network, and its sandbox ON: the page is ours, but the renderer parses image
 * bytes, and a sandbox is what keeps a decoder bug from being a workstation compromise. Chromium
 * refuses to start sandboxed as root (CI containers); there, and only there, an explicit
 * `--allow-unsandboxed-chromium` (or CXR_LENS_ALLOW_UNSANDBOXED_CHROMIUM=1) lets it run without.
 */
import { statSync } from 'node:fs'
import { delimiter, posix, win32 } from 'node:path'
import { PDF_FOOTER_TEMPLATE, PDF_HEADER_TEMPLATE, PDF_MARGINS_MM } from '../evaluation/reportFrame'

export const CHROMIUM_ENV = 'CXR_LENS_CHROMIUM'
export const ALLOW_UNSANDBOXED_ENV = 'CXR_LENS_ALLOW_UNSANDBOXED_CHROMIUM'
export const ALLOW_UNSANDBOXED_FLAG = '--allow-unsandboxed-chromium'

export class PdfError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PdfError'
  }
}

const LINUX_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'microsoft-edge', 'microsoft-edge-stable']

/** Where a browser is usually installed, in the order tried (Chromium and Chrome before Edge). */
export function chromiumCandidates(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string[] {
  if (platform === 'win32') {
    const roots = [env.PROGRAMFILES, env['PROGRAMFILES(X86)'], env.LOCALAPPDATA].filter(Boolean) as string[]
    const under = (rel: string) => roots.map((root) => win32.join(root, rel))
    return [
      ...under('Chromium\\Application\\chrome.exe'),
      ...under('Google\\Chrome\\Application\\chrome.exe'),
      ...under('Microsoft\\Edge\\Application\\msedge.exe'),
    ]
  }
  if (platform === 'darwin') {
    const apps = ['/Applications', ...(env.HOME ? [posix.join(env.HOME, 'Applications')] : [])]
    return apps.flatMap((dir) => [
      posix.join(dir, 'Chromium.app/Contents/MacOS/Chromium'),
      posix.join(dir, 'Google Chrome.app/Contents/MacOS/Google Chrome'),
      posix.join(dir, 'Microsoft Edge.app/Contents/MacOS/Microsoft Edge'),
    ])
  }
  const path = (env.PATH ?? '').split(delimiter).filter(Boolean)
  const dirs = [...new Set([...path, '/usr/bin', '/usr/local/bin', '/snap/bin'])]
  return LINUX_NAMES.flatMap((name) => dirs.map((dir) => posix.join(dir, name)))
}

const isFile = (p: string) => statSync(p, { throwIfNoEntry: false })?.isFile() ?? false

/**
 * The browser to print with: $CXR_LENS_CHROMIUM, else the machine policy's reports.chromium, else
 * the first usual location that exists. A path that is named but missing is an error, not a fallback.
 */
export function findChromium(
  options: { env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform; policyPath?: string; exists?: (p: string) => boolean } = {},
): string {
  const env = options.env ?? process.env
  const exists = options.exists ?? isFile
  for (const [named, how] of [
    [env[CHROMIUM_ENV], CHROMIUM_ENV],
    [options.policyPath, 'the machine policy (reports.chromium)'],
  ] as const) {
    if (!named) continue
    if (!exists(named)) throw new PdfError(`The browser ${named} given by ${how} does not exist`)
    return named
  }
  const found = chromiumCandidates(options.platform ?? process.platform, env).find(exists)
  if (!found)
    throw new PdfError(
      `PDF export needs Chromium, Google Chrome or Microsoft Edge (none found in the usual places); install one (e.g. apt-get install chromium) or set ${CHROMIUM_ENV}=/path/to/it. HTML export works without it.`,
    )
  return found
}

export interface PdfOptions {
  /** the user asked for an unsandboxed browser (the CLI flag); honoured only when running as root */
  allowUnsandboxed?: boolean
  env?: NodeJS.ProcessEnv
  policyPath?: string
}

/** Sandboxed, unless root has explicitly allowed otherwise; a non-root user never runs without it. */
export function sandboxFor(options: { allowUnsandboxed?: boolean; env?: NodeJS.ProcessEnv; uid?: number | null }): boolean {
  const uid = options.uid === undefined ? (process.getuid?.() ?? null) : options.uid
  if (uid !== 0) return true
  const allowed = options.allowUnsandboxed || (options.env ?? process.env)[ALLOW_UNSANDBOXED_ENV] === '1'
  if (!allowed)
    throw new PdfError(
      `Chromium cannot use its sandbox when run as root, and PDF export does not run it without one unless asked: run as an ordinary user, or pass ${ALLOW_UNSANDBOXED_FLAG} (or set ${ALLOW_UNSANDBOXED_ENV}=1) to accept an unsandboxed browser for this report`,
    )
  return false
}

const mm = (v: number) => `${v}mm`

/** Prints `html` (self-contained: its CSP allows nothing external) to an A4 PDF with page numbers. */
export async function htmlToPdf(html: string, options: PdfOptions = {}): Promise<Uint8Array> {
  const env = options.env ?? process.env
  const executablePath = findChromium({ env, policyPath: options.policyPath })
  const sandbox = sandboxFor({ allowUnsandboxed: options.allowUnsandboxed, env })
  const { chromium } = await import('playwright-core')
  let browser
  try {
    // chromiumSandbox: Playwright adds --no-sandbox unless told otherwise; a fresh temporary profile per launch
    browser = await chromium.launch({
      executablePath,
      headless: true,
      chromiumSandbox: sandbox,
      args: ['--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-extensions'],
    })
  } catch (error) {
    const first = (error as Error).message.split('\n')[0]
    throw new PdfError(
      sandbox
        ? `${executablePath} did not start with its sandbox (${first}). Allow the sandbox on this machine (e.g. kernel.unprivileged_userns_clone=1, or the chrome-sandbox helper setuid root), or print the HTML report from a desktop browser`
        : `${executablePath} did not start (${first})`,
    )
  }
  try {
    // nothing leaves the machine: the page's CSP already refuses, and the context is offline with every request aborted
    const page = await browser.newPage({ offline: true })
    await page.route('**/*', (route) => route.abort())
    await page.setContent(html, { waitUntil: 'load' })
    const pdf = await page.pdf({
      format: 'A4',
      printBackground: true,
      displayHeaderFooter: true,
      headerTemplate: PDF_HEADER_TEMPLATE,
      footerTemplate: PDF_FOOTER_TEMPLATE,
      margin: {
        top: mm(PDF_MARGINS_MM.top),
        bottom: mm(PDF_MARGINS_MM.bottom),
        left: mm(PDF_MARGINS_MM.left),
        right: mm(PDF_MARGINS_MM.right),
      },
    })
    return new Uint8Array(pdf.buffer, pdf.byteOffset, pdf.byteLength)
  } finally {
    await browser.close()
  }
}
