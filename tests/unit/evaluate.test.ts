import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { evaluateModel } from '../../src/main/evaluation/evaluate'
import { htmlReport } from '../../src/main/evaluation/htmlReport'
import type { ClassificationRow } from '../../src/main/evaluation/reportTypes'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import { loadModelPackage } from '../../src/main/model/modelPackage'
import { BOXES_CSV, csvBoxes, HAS_NIH, imageFolder, LABELS_CSV, NIH_256, tempDir } from './helpers'

const dir = tempDir()
const engine = new InferenceEngine({ providers: ['cpu'], threads: 1 })
afterAll(async () => {
  await engine.close()
  dir.cleanup()
})

describe.runIf(HAS_NIH)('evaluate on real NIH images', () => {
  it('writes the documented report shape, scores the prior box and renders the HTML report', async () => {
    // The fixture model plus a prior box for Cardiomegaly (a manifest field; the ONNX file is unchanged).
    const modelDir = join(dir.path, 'model')
    cpSync(resolve(__dirname, '../fixtures/engine/tiny-resnet'), modelDir, { recursive: true })
    const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8'))
    manifest.localizationPrior = { Cardiomegaly: { x: 0.35, y: 0.45, w: 0.45, h: 0.35 } }
    writeFileSync(join(modelDir, 'manifest.json'), JSON.stringify(manifest))
    const pkg = loadModelPackage(modelDir)

    const boxes = csvBoxes()
    const boxed = [...boxes.keys()].filter((name) => readdirSync(NIH_256).includes(name)).slice(0, 12)
    const plain = readdirSync(NIH_256).filter((n) => !boxes.has(n)).slice(0, 12)
    const folder = imageFolder(dir.path, NIH_256, [...boxed, ...plain])
    const { report, outputs } = await evaluateModel(pkg, engine, { imagesDir: folder, labelsCsv: LABELS_CSV, boxesCsv: BOXES_CSV, method: 'gradcam', threshold: 'otsu' })

    expect(report).toMatchObject({ model: { id: 'tiny-resnet', version: '0.0.1-test' }, images: 24, method: 'gradcam', provider: 'cpu' })
    expect(typeof report.classification.macro_auroc).toBe('number')
    const atelectasis = report.classification.Atelectasis as ClassificationRow
    expect(Object.keys(atelectasis)).toEqual(expect.arrayContaining(['n_pos', 'auroc', 'auroc_ci', 'f1', 'precision', 'recall']))
    const expectedBoxes = boxed.flatMap((n) => boxes.get(n)!).length
    const counted = Object.values(report.localization).reduce((n, r) => n + r.n_boxes, 0)
    expect(counted).toBe(expectedBoxes)
    for (const row of Object.values(report.localization)) {
      expect(Object.keys(row.iobb_acc)).toEqual(['0.1', '0.25', '0.5'])
      expect(row.iobb_acc['0.1']!).toBeGreaterThanOrEqual(row.iobb_acc['0.5']!)
    }
    expect(Object.keys(report.localization_prior)).toEqual(report.localization.Cardiomegaly ? ['Cardiomegaly'] : [])
    const html = await htmlReport(report, outputs, pkg.manifest)
    expect(html).toContain('ChestX-ray8 (Wang et al. 2017, Table 4)')
    expect(html).toMatch(/<polyline points=/)
    expect(html).toMatch(/data:image\/png;base64,/)
  })

  it('refuses tuned thresholds without a validation split', async () => {
    const pkg = loadModelPackage(resolve(__dirname, '../fixtures/engine/tiny-resnet'))
    await expect(evaluateModel(pkg, engine, { imagesDir: NIH_256, labelsCsv: LABELS_CSV, method: 'gradcam', threshold: 'tuned' })).rejects.toThrow(/needs --split-file/)
  })
})
