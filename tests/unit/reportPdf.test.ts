/**
 * The committee report as a reviewer receives it: evaluate a small NIH set, print the HTML report to
 * PDF with Debian's Chromium (sandboxed unless running as root, where the test allows it explicitly),
 * then read the PDF back with poppler (pdftotext, pdfimages, pdftoppm) and find each element there.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, describe, expect, it } from 'vitest'
import { APP_VERSION } from '../../src/main/config/version'
import { evaluateModel } from '../../src/main/evaluation/evaluate'
import { htmlReport } from '../../src/main/evaluation/htmlReport'
import { NOT_FOR_DIAGNOSIS } from '../../src/main/evaluation/reportFrame'
import { loadSanityRecord, saveSanityRecord, sanityRecordPath } from '../../src/main/evaluation/sanityRecord'
import { chromiumCandidates, findChromium, htmlToPdf, PdfError, sandboxFor } from '../../src/main/interchange/pdf'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import { loadModelPackage } from '../../src/main/model/modelPackage'
import { BOXES_CSV, csvBoxes, HAS_NIH, imageFolder, LABELS_CSV, NIH_256, REFERENCE_MODEL_DIR, tempDir } from './helpers'

const has = (tool: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
const HAS_TOOLS = has('pdftotext') && has('pdftoppm') && has('pdfimages') && (has('chromium') || Boolean(process.env.CXR_LENS_CHROMIUM))

const dir = tempDir()
const engine = new InferenceEngine({ providers: ['cpu'], threads: 1 })
afterAll(async () => {
  await engine.close()
  dir.cleanup()
})

describe('finding a browser and its sandbox', () => {
  it('looks in the usual places of each platform, and a named path that is missing is an error', () => {
    const win = chromiumCandidates('win32', {
      PROGRAMFILES: 'C:\\Program Files',
      'PROGRAMFILES(X86)': 'C:\\Program Files (x86)',
      LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local',
    })
    expect(win).toContain('C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe')
    expect(win).toContain('C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe')
    expect(win).toContain('C:\\Users\\u\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe')
    const mac = chromiumCandidates('darwin', { HOME: '/Users/u' })
    expect(mac).toContain('/Applications/Google Chrome.app/Contents/MacOS/Google Chrome')
    expect(mac).toContain('/Users/u/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge')
    expect(chromiumCandidates('linux', { PATH: '/opt/x/bin' })).toContain('/opt/x/bin/chromium')
    const edge = 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe'
    expect(findChromium({ platform: 'win32', env: { 'PROGRAMFILES(X86)': 'C:\\Program Files (x86)' }, exists: (p) => p === edge })).toBe(
      edge,
    )
    expect(() => findChromium({ env: { CXR_LENS_CHROMIUM: '/nowhere/chrome' }, exists: () => false })).toThrow(
      /\/nowhere\/chrome given by CXR_LENS_CHROMIUM does not exist/,
    )
    expect(() => findChromium({ platform: 'linux', env: { PATH: '' }, exists: () => false })).toThrow(PdfError)
  })

  it('runs sandboxed; as root only when explicitly allowed, and says how', () => {
    expect(sandboxFor({ uid: 1000, allowUnsandboxed: true })).toBe(true)
    expect(() => sandboxFor({ uid: 0, env: {} })).toThrow(/--allow-unsandboxed-chromium/)
    expect(sandboxFor({ uid: 0, allowUnsandboxed: true, env: {} })).toBe(false)
    expect(sandboxFor({ uid: 0, env: { CXR_LENS_ALLOW_UNSANDBOXED_CHROMIUM: '1' } })).toBe(false)
  })
})

describe('the stored sanity record', () => {
  it('round-trips, and a corrupt or foreign file is reported by name, not trusted', () => {
    const data = join(dir.path, 'data')
    const model = { id: 'm', version: '1.0' }
    expect(loadSanityRecord(data, model, 'gradcam')).toBeNull()
    saveSanityRecord(
      data,
      model,
      {
        images: ['a.png', 'b.png'],
        seed: 7,
        method: 'gradcam',
        summary: {},
        verdict: { head: { fails: true, reasons: ['median ρ 0.9 > 0.5'] } },
        fails: true,
        seconds: 1,
      },
      '2026-12-01T00:00:00.000Z',
    )
    const record = loadSanityRecord(data, model, 'gradcam')
    expect(record).toMatchObject({ state: 'stored', images: 2, fails: true, verdict: { head: { fails: true } } })
    // image names are not kept
    expect(readFileSync(sanityRecordPath(data, model, 'gradcam'), 'utf8')).not.toContain('a.png')
    writeFileSync(sanityRecordPath(data, model, 'gradcam'), '{"state":"stored"')
    expect(loadSanityRecord(data, model, 'gradcam')).toMatchObject({ state: 'unreadable', error: expect.stringMatching(/not JSON/) })
    writeFileSync(sanityRecordPath(data, model, 'gradcam'), JSON.stringify({ ...record, fails: 'yes' }))
    expect(loadSanityRecord(data, model, 'gradcam')).toMatchObject({ state: 'unreadable', error: expect.stringMatching(/^fails:/) })
  })
})

describe.runIf(HAS_NIH && HAS_TOOLS)('the evaluation report as PDF', () => {
  it('has title, date, versions, counts, intervals, the sample-size warning, plot ticks, examples, notice and page numbers', async () => {
    // the reference model: its maps are real, so the overlays show a heatmap
    const pkg = loadModelPackage(REFERENCE_MODEL_DIR)
    const boxes = csvBoxes()
    const names = readdirSync(NIH_256)
    const boxed = [...boxes.keys()].filter((n) => names.includes(n)).slice(0, 10)
    const plain = names.filter((n) => !boxes.has(n)).slice(0, 6)
    const folder = imageFolder(dir.path, NIH_256, [...boxed, ...plain])
    const { report, outputs } = await evaluateModel(pkg, engine, {
      imagesDir: folder,
      labelsCsv: LABELS_CSV,
      boxesCsv: BOXES_CSV,
      method: 'gradcam',
      threshold: 'otsu',
      protocol: 'chestxray8',
      sanity: { images: 2 },
      bootstrap: { resamples: 1000, seed: 1 },
    })
    const date = '2026-12-01T12:34:56.000Z'
    const html = await htmlReport(report, outputs, pkg.manifest, {
      generatedAt: date,
      dataSource: `${folder} with labels.csv and BBox_List_dev.csv`,
    })
    const pdf = await htmlToPdf(html, { allowUnsandboxed: true })
    const out = join(dir.path, 'pdf')
    mkdirSync(out)
    const file = join(out, 'report.pdf')
    writeFileSync(file, pdf)

    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' })
    const flat = text.replace(/\s+/g, ' ')
    const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1])
    expect(pages).toBeGreaterThan(1)
    for (const expected of [
      `CXR Lens evaluation report: ${pkg.manifest.id} ${pkg.manifest.version}`,
      date,
      'Data source',
      `CXR Lens ${APP_VERSION}`,
      pkg.manifest.sha256.slice(0, 16),
      'Database schema',
      'Cases per finding',
      'positives',
      'negatives',
      'radiologist boxes',
      'Macro AUROC',
      'patient-bootstrap 95% CI',
      'Sample-size warning',
      'fewer than 10 positives for a finding, or fewer than 30 cases in all',
      'false positive rate',
      'true positive rate',
      'chance (AUROC 0.5)',
      '--protocol chestxray8',
      'Sanity: model-parameter randomization',
      'Examples: heatmaps beside the radiologists',
      'Intended use',
      pkg.manifest.modelCard.intendedUse.slice(0, 30),
      NOT_FOR_DIAGNOSIS,
    ])
      expect(flat, expected).toContain(expected)
    // tick labels of the ROC axes
    expect(flat).toMatch(/0 0\.25 0\.5 0\.75 1/)
    // the footer on every page: "1 / N" … "N / N", and the notice with it
    for (let p = 1; p <= pages; p++) expect(flat).toMatch(new RegExp(`diagnosis ${p} ?/ ?${pages}\\b`))
    expect(flat.split(NOT_FOR_DIAGNOSIS).length - 1).toBeGreaterThanOrEqual(pages + 1)
    // the sanity verdict is stated
    expect(flat).toMatch(/gradcam (passes|fails) the randomization check/)

    // example overlays: a pair of images per example (boxes only, heatmap with boxes), present in the PDF
    const examples = (html.match(/data-example="(best|worst)"/g) ?? []).length
    expect(examples).toBeGreaterThanOrEqual(2)
    const listed = execFileSync('pdfimages', ['-list', file], { encoding: 'utf8' }).trim().split('\n').slice(2)
    expect(listed.length).toBeGreaterThanOrEqual(2 * examples)
    // and drawn: extracted, the heatmap halves carry colour (the jet map), the radiographs with boxes only yellow
    execFileSync('pdfimages', ['-png', file, join(out, 'img')])
    const colourOf = async (png: string) => {
      const { data, info } = await sharp(join(out, png)).removeAlpha().raw().toBuffer({ resolveWithObject: true })
      let blueish = 0
      let yellow = 0
      for (let i = 0; i < data.length; i += info.channels) {
        const [r, g, b] = [data[i], data[i + 1], data[i + 2]]
        if (b - Math.max(r, g) > 40 || r - Math.max(g, b) > 60) blueish++
        if (r > 200 && g > 180 && b < 80) yellow++
      }
      return { blueish, yellow }
    }
    const extracted = await Promise.all(
      readdirSync(out)
        .filter((n) => n.startsWith('img') && n.endsWith('.png'))
        .sort()
        .map(colourOf),
    )
    expect(extracted.filter((c) => c.yellow > 50).length).toBeGreaterThanOrEqual(2 * examples)
    expect(extracted.filter((c) => c.blueish > 200).length).toBeGreaterThanOrEqual(1)
    // the pages render (poppler's rasterizer reads every page)
    execFileSync('pdftoppm', ['-png', '-r', '30', file, join(out, 'page')])
    expect(readdirSync(out).filter((n) => n.startsWith('page') && n.endsWith('.png'))).toHaveLength(pages)
  }, 240_000)
})
