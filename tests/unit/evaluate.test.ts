import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { evaluateModel } from '../../src/main/evaluation/evaluate'
import { htmlReport } from '../../src/main/evaluation/htmlReport'
import type { ClassificationRow } from '../../src/main/evaluation/reportTypes'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import { loadModelPackage } from '../../src/main/model/modelPackage'
import { BOXES_CSV, csvBoxes, HAS_NIH, imageFolder, LABELS_CSV, NIH_256, REFERENCE_MODEL_DIR, tempDir } from './helpers'

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
    const plain = readdirSync(NIH_256)
      .filter((n) => !boxes.has(n))
      .slice(0, 12)
    const folder = imageFolder(dir.path, NIH_256, [...boxed, ...plain])
    const { report, outputs } = await evaluateModel(pkg, engine, {
      imagesDir: folder,
      labelsCsv: LABELS_CSV,
      boxesCsv: BOXES_CSV,
      method: 'gradcam',
      threshold: 'otsu',
    })

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
    // The test model has no out-of-distribution statistics: the report says so, and excludes nothing.
    expect(report.ood).toMatchObject({ unavailable: expect.stringMatching(/^no out-of-distribution check/), flagged: null, excluded: 0 })
    const html = await htmlReport(report, outputs, pkg.manifest)
    expect(html).toContain('Out-of-distribution check: none (no out-of-distribution check')
    expect(html).toContain('ChestX-ray8 (Wang et al. 2017, Table 4)')
    expect(html).toMatch(/<polyline points=/)
    expect(html).toMatch(/data:image\/png;base64,/)
  })

  it("counts the images the reference model's check flags, keeping every one of them in the report", async () => {
    const pkg = loadModelPackage(REFERENCE_MODEL_DIR)
    const boxes = csvBoxes()
    const folder = imageFolder(
      join(dir.path, 'ood'),
      NIH_256,
      readdirSync(NIH_256)
        .filter((n) => !boxes.has(n))
        .slice(0, 6),
    )
    const { report, outputs } = await evaluateModel(pkg, engine, {
      imagesDir: folder,
      labelsCsv: LABELS_CSV,
      method: 'gradcam',
      threshold: 'otsu',
    })
    expect(outputs.every((o) => o.ood !== null)).toBe(true)
    const flagged = outputs.filter((o) => o.ood!.flagged).map((o) => o.c.image)
    expect(report.ood).toEqual({
      method: 'mahalanobis',
      threshold: pkg.ood!.mahalanobis.threshold,
      images: 6,
      flagged: flagged.length,
      rate: flagged.length / 6,
      flagged_images: flagged,
      excluded: 0,
    })
    expect(report.images).toBe(6) // flagged images stay in the evaluation
  })

  it('adds the paper protocol, baselines, intervals, another model, a second method, faithfulness and the sanity check', async () => {
    const modelDir = join(dir.path, 'model2')
    cpSync(resolve(__dirname, '../fixtures/engine/tiny-resnet'), modelDir, { recursive: true })
    const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8'))
    manifest.localizationPrior = { Cardiomegaly: { x: 0.35, y: 0.45, w: 0.45, h: 0.35 } }
    writeFileSync(join(modelDir, 'manifest.json'), JSON.stringify(manifest))
    const pkg = loadModelPackage(modelDir)
    const boxes = csvBoxes()
    const boxed = [...boxes.keys()].filter((name) => readdirSync(NIH_256).includes(name)).slice(0, 6)
    const plain = readdirSync(NIH_256)
      .filter((n) => !boxes.has(n))
      .slice(0, 6)
    const folder = imageFolder(join(dir.path, 'two'), NIH_256, [...boxed, ...plain])
    // another model's file covers all but one image, with a constant (uninformative) score for Atelectasis
    const predictions = join(dir.path, 'other.csv')
    writeFileSync(
      predictions,
      ['Image Index,prob_Atelectasis,prob_Cardiomegaly', ...[...boxed, ...plain].slice(1).map((n, i) => `${n},0.5,${(i % 5) / 5}`)].join(
        '\n',
      ),
    )
    const { report, outputs } = await evaluateModel(pkg, engine, {
      imagesDir: folder,
      labelsCsv: LABELS_CSV,
      boxesCsv: BOXES_CSV,
      method: 'gradcam',
      threshold: 'otsu',
      protocol: 'chestxray8',
      compareMethod: 'cam',
      comparePredictions: predictions,
      faithfulness: true,
      sanity: { images: 2 },
      bootstrap: { resamples: 1000, seed: 1 },
    })
    expect(report.protocol).toBe('chestxray8')
    expect(report.bootstrap).toEqual({ unit: 'patient', resamples: 1000, seed: 1, interval: 'percentile 95%' })
    for (const [finding, row] of Object.entries(report.localization)) {
      const paper = report.localization_chestxray8![finding]
      expect(Object.keys(paper.iobb_acc)).toEqual(['0.1', '0.25', '0.5', '0.75', '0.9'])
      expect(paper.n_boxes).toBe(row.n_boxes)
      expect(Object.keys(paper.by_map_threshold)).toEqual(['60', '180'])
      expect(report.localization_random![finding].iou_mean).not.toBeNull()
      const ci = report.localization_ci![finding]
      expect(Object.keys(ci.arms)).toEqual(expect.arrayContaining(['model', 'random', 'compare']))
      expect(Object.keys(ci.differences)).toEqual(expect.arrayContaining(['model_minus_random', 'model_minus_compare']))
      const iou = ci.arms.model.iou_mean
      expect(iou.estimate).toBeCloseTo(row.iou_mean!, 12)
      expect(iou.ci95![0]).toBeLessThanOrEqual(iou.estimate!)
      expect(iou.ci95![1]).toBeGreaterThanOrEqual(iou.estimate!)
    }
    if (report.localization.Cardiomegaly)
      expect(report.localization_ci!.Cardiomegaly.differences.model_minus_prior.hit_rate.ci95).not.toBeNull()
    const atelectasis = report.classification.Atelectasis as ClassificationRow
    expect(typeof atelectasis.few_positives).toBe('boolean')
    const external = report.compare_predictions!
    expect(external).toMatchObject({ file: 'other.csv', images_matched: 11, images_missing: 1 })
    expect(Object.keys(external.classification)).toEqual(['Atelectasis', 'Cardiomegaly'])
    if (external.classification.Atelectasis.auroc_b !== null) expect(external.classification.Atelectasis.auroc_b).toBe(0.5)
    const f = report.faithfulness!
    expect(Object.keys(f.rows).sort()).toEqual(Object.keys(report.localization).sort())
    for (const row of Object.values(f.rows)) {
      for (const v of [row.deletion_auc.estimate, row.insertion_auc.estimate, row.random_deletion_auc.estimate])
        expect(v!).toBeGreaterThanOrEqual(0)
      expect(row.deletion_auc.estimate!).toBeLessThanOrEqual(1)
    }
    const sanity = report.sanity!
    expect(sanity.images).toHaveLength(2)
    expect(sanity.summary.head!.pairs).toBe(2 * pkg.manifest.findings.length)
    expect(sanity.summary.head!.ssim.median).not.toBeNull()
    expect(report.explanation_flags!.length > 0).toBe(f.failing.length > 0 || sanity.fails)
    const html = await htmlReport(report, outputs, pkg.manifest)
    for (const text of [
      'ChestX-ray8 protocol',
      'T(IoBB &gt; 0.9)',
      'random map',
      'Beside another model: other.csv',
      'Faithfulness: deletion and insertion',
      'Sanity: model-parameter randomization',
      'patient bootstrap',
    ])
      expect(html).toContain(text)
  })

  it('refuses a malformed comparison file before any model pass, naming file and line', async () => {
    const pkg = loadModelPackage(resolve(__dirname, '../fixtures/engine/tiny-resnet'))
    const bad = join(dir.path, 'bad.csv')
    writeFileSync(bad, 'Image Index,prob_Atelectasis\n00000001_000.png,high\n')
    await expect(
      evaluateModel(pkg, engine, {
        imagesDir: NIH_256,
        labelsCsv: LABELS_CSV,
        method: 'gradcam',
        threshold: 'otsu',
        comparePredictions: bad,
      }),
    ).rejects.toThrow(/bad\.csv, line 2: prob_Atelectasis is "high"/)
  })

  it('refuses tuned thresholds without a validation split', async () => {
    const pkg = loadModelPackage(resolve(__dirname, '../fixtures/engine/tiny-resnet'))
    await expect(
      evaluateModel(pkg, engine, { imagesDir: NIH_256, labelsCsv: LABELS_CSV, method: 'gradcam', threshold: 'tuned' }),
    ).rejects.toThrow(/needs --split-file/)
  })
})
