import { existsSync } from 'node:fs'

const CANDIDATES = [process.env.CXR_LENS_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(
  Boolean,
) as string[]

/**
 * Prints a self-contained HTML page to PDF with a local Chromium (headless, no network). Browser
 * mode and the CLI use the system's Chromium; the desktop app could print with its own webContents.
 */
export async function htmlToPdf(html: string): Promise<Uint8Array> {
  const executablePath = CANDIDATES.find((path) => existsSync(path))
  if (!executablePath)
    throw new Error(
      'PDF export needs Chromium (e.g. apt-get install chromium) or CXR_LENS_CHROMIUM=/path/to/chrome; HTML export works without it',
    )
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
  try {
    const page = await browser.newPage()
    await page.setContent(html, { waitUntil: 'load' })
    return await page.pdf({ format: 'A4', printBackground: true, margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' } })
  } finally {
    await browser.close()
  }
}
