import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { bootstrap, groupBy, patientOf, quantileSorted } from '../../src/main/evaluation/bootstrap'
import { paperAccuracy, paperBoxes, quantize255, scorePaperProtocol } from '../../src/main/evaluation/chestXray8Protocol'
import { CHESTXRAY8_TIOBB, PAPER_IOBB_THRESHOLDS } from '../../src/main/evaluation/chestXray8Reference'
import { aurocBootstrap, aurocOf, comparePairedAuroc } from '../../src/main/evaluation/classificationStats'
import { readExternalPredictions } from '../../src/main/evaluation/externalPredictions'
import {
  faithfulnessOf,
  perturbationCurve,
  randomOrder,
  rankPixels,
  trapezoidAuc,
  type InputGeometry,
} from '../../src/main/evaluation/faithfulness'
import { armFigures, localizationIntervals } from '../../src/main/evaluation/localizationStats'
import { delong } from '../../src/main/stats/roc'
import { ssim } from '../../src/main/evaluation/ssim'
import { NIH, tempDir } from './helpers'

const dir = tempDir()
afterAll(() => dir.cleanup())
const boot = { resamples: 1000, seed: 3 }

describe('ChestX-ray8 protocol', () => {
  // A 10×10 map: a 4×4 square of value 1 at (2,2), a ring of 0.5 around it, zero elsewhere.
  const map = new Float32Array(100)
  for (let y = 1; y < 7; y++) for (let x = 1; x < 7; x++) map[y * 10 + x] = 0.5
  for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) map[y * 10 + x] = 1

  it('quantizes to [0, 255] and thresholds strictly at 60 and 180', () => {
    expect(Array.from(quantize255([0, 0.5, 1]))).toEqual([0, 128, 255])
    expect(Array.from(quantize255([2, 2]))).toEqual([0, 0])
    expect(paperBoxes(map, 10, 10, 60)).toEqual([{ x: 1, y: 1, w: 6, h: 6 }])
    expect(paperBoxes(map, 10, 10, 180)).toEqual([{ x: 2, y: 2, w: 4, h: 4 }])
    // 128 is not > 128: strict comparison on the 8-bit map
    expect(paperBoxes(Float32Array.from([0, 0.5, 1, 0]), 4, 1, 128)).toEqual([{ x: 2, y: 0, w: 1, h: 1 }])
  })

  it("counts a box at T only when IoBB > T, at each of the paper's five thresholds", () => {
    // truth covers the left half of the 6×6 box (IoBB 18/36 = 0.5) and all of the 4×4 box's left half (8/16 = 0.5)
    const truth = [{ x: 0, y: 0, w: 4, h: 10 }]
    const s = scorePaperProtocol(map, 10, 10, truth)
    expect(s.byThreshold['60']).toEqual([0.5])
    expect(s.byThreshold['180']).toEqual([0.5])
    expect(s.best).toEqual([0.5])
    // exactly 0.5 is not > 0.5
    expect(paperAccuracy(s.best)).toEqual({ '0.1': 1, '0.25': 1, '0.5': 0, '0.75': 0, '0.9': 0 })
    // a box wholly inside the truth: IoBB 1, found at every T (1 > 0.9)
    expect(paperAccuracy(scorePaperProtocol(map, 10, 10, [{ x: 0, y: 0, w: 10, h: 10 }]).best)).toEqual({
      '0.1': 1,
      '0.25': 1,
      '0.5': 1,
      '0.75': 1,
      '0.9': 1,
    })
    // IoBB of the inner box with truth x < 2.4: 0.4·4/16 = 0.1 → not > 0.1; the outer box: 1.4·6/36 < 0.25
    expect(paperAccuracy(scorePaperProtocol(map, 10, 10, [{ x: 0, y: 0, w: 2.4, h: 10 }]).best)['0.1']).toBe(1)
    expect(paperAccuracy([0.1, 0.25, 0.75, 0.9])).toEqual({ '0.1': 0.75, '0.25': 0.5, '0.5': 0.5, '0.75': 0.25, '0.9': 0 })
    expect(paperAccuracy([])['0.5']).toBeNull()
  })

  it("has the paper's five thresholds for the 8 boxed findings", () => {
    for (const t of PAPER_IOBB_THRESHOLDS) expect(Object.keys(CHESTXRAY8_TIOBB[t])).toHaveLength(8)
    for (const f of Object.keys(CHESTXRAY8_TIOBB['0.1']))
      for (let i = 1; i < 5; i++)
        expect(CHESTXRAY8_TIOBB[PAPER_IOBB_THRESHOLDS[i]][f]).toBeLessThanOrEqual(CHESTXRAY8_TIOBB[PAPER_IOBB_THRESHOLDS[i - 1]][f])
  })
})

describe('patient bootstrap', () => {
  it('resamples patients, not images: two patients give exactly the three possible means', () => {
    // patient A: 3 boxes all found; patient B: 1 box missed. Resamples: AA → 1, AB/BA → 3/4, BB → 0.
    const groups = [[1, 1, 1], [0]]
    const mean = (xs: number[]) => ({ mean: xs.reduce((a, b) => a + b, 0) / xs.length })
    const r = bootstrap(groups, mean, boot)
    expect(r.mean.estimate).toBe(0.75)
    expect(r.mean.ci95).toEqual([0, 1])
    expect(r.mean.valid).toBe(1000)
    // same seed, same interval; constant data, a zero-width interval
    expect(bootstrap(groups, mean, boot)).toEqual(r)
    expect(bootstrap([[0.5], [0.5], [0.5]], mean, boot).mean.ci95).toEqual([0.5, 0.5])
  })

  it('skips resamples where the statistic is undefined and refuses too few resamples', () => {
    const r = bootstrap([[1], [2]], (xs) => ({ v: xs.includes(2) ? 2 : null }), boot)
    // P(no 2 in two draws) = 1/4: about 750 of 1000 valid
    expect(r.v.valid).toBeGreaterThan(690)
    expect(r.v.valid).toBeLessThan(810)
    expect(() => bootstrap([[1]], (xs) => ({ v: xs[0] }), { resamples: 0 })).toThrow(/positive integer/)
  })

  it('quantiles as numpy, groups by patient, patients from NIH names', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5)
    expect(quantileSorted([0, 10], 0.975)).toBeCloseTo(9.75, 12)
    expect(groupBy(['a1', 'b1', 'a2'], (s) => s[0])).toEqual([['a1', 'a2'], ['b1']])
    expect(patientOf('00000013_005.png', null)).toBe('00000013')
    expect(patientOf('x.png', '42')).toBe('42')
  })

  it('gives every localization figure an interval, and the paired difference model − prior', () => {
    const hit = { best: [0.6], paper: [0.6], iou: 0.5, hit: true }
    const miss = { best: [0], paper: [0], iou: 0, hit: false }
    const cases = [
      { patient: 'p1', arms: { model: hit, prior: miss } },
      { patient: 'p2', arms: { model: hit, prior: hit } },
    ]
    expect(armFigures([hit, miss])).toMatchObject({
      'iobb_0.5': 0.5,
      'paper_iobb_0.5': 0.5,
      'paper_iobb_0.75': 0,
      iou_mean: 0.25,
      hit_rate: 0.5,
    })
    const r = localizationIntervals(cases, [['model', 'prior']], boot)
    expect(r.patients).toBe(2)
    expect(r.arms.model.hit_rate).toMatchObject({ estimate: 1, ci95: [1, 1] })
    expect(r.arms.prior.hit_rate).toMatchObject({ estimate: 0.5, ci95: [0, 1] })
    // model − prior is 1 − 0 for p1 and 0 for p2: resample means 1, 0.5, 0
    expect(r.differences.model_minus_prior.hit_rate).toMatchObject({ estimate: 0.5, ci95: [0, 1] })
    expect(Object.keys(r.arms.model)).toEqual([
      'iobb_0.1',
      'iobb_0.25',
      'iobb_0.5',
      'paper_iobb_0.1',
      'paper_iobb_0.25',
      'paper_iobb_0.5',
      'paper_iobb_0.75',
      'paper_iobb_0.9',
      'iou_mean',
      'hit_rate',
    ])
  })
})

describe('AUROC intervals and paired comparisons', () => {
  it("computes AUROC by ranks as DeLong's pairwise count does", () => {
    const scores = [0.1, 0.4, 0.35, 0.8, 0.4, 0.2]
    const labels = [0, 0, 1, 1, 1, 0]
    expect(aurocOf(scores, labels)).toBeCloseTo(delong(scores, labels)!.auc, 12)
    // hand count: positives 0.35, 0.8, 0.4 against negatives 0.1, 0.4, 0.2: (2 + 3 + 2.5) / 9
    expect(aurocOf(scores, labels)).toBeCloseTo(7.5 / 9, 12)
    expect(aurocOf([1, 2], [1, 1])).toBeNull()
  })

  it('bootstraps a perfectly separating score to [1, 1], and a few-positive finding is flagged', () => {
    const cases = Array.from({ length: 20 }, (_, i) => ({ patient: `p${i}`, label: i < 4 ? 1 : 0, scores: [i < 4 ? 0.9 : 0.1, i % 2] }))
    expect(aurocBootstrap(cases, boot)).toMatchObject({ estimate: 1, ci95: [1, 1] })
    const paired = comparePairedAuroc(cases, boot)
    expect(paired).toMatchObject({ n_pos: 4, few_positives: true, auroc_a: 1, auroc_b: 0.5, difference: 0.5 })
    expect(paired.delong_p!).toBeLessThan(0.05)
    expect(paired.difference_ci95![0]).toBeGreaterThan(0)
    // identical scores: no difference, p = 1
    expect(
      comparePairedAuroc(
        cases.map((c) => ({ ...c, scores: [c.scores[0], c.scores[0]] })),
        boot,
      ),
    ).toMatchObject({ difference: 0, delong_p: 1, difference_ci95: [0, 0] })
  })
})

describe('SSIM', () => {
  // Expected values from a direct windowed loop (numpy) of skimage.metrics.structural_similarity's
  // definition with its defaults (7×7 uniform window, K1 0.01, K2 0.03, sample covariance, data_range given).
  it("matches skimage's definition on small arrays", () => {
    const a = Float64Array.from({ length: 49 }, (_, i) => i / 48)
    const b = Float64Array.from({ length: 49 }, (_, i) => a[(6 - Math.floor(i / 7)) * 7 + (i % 7)])
    expect(ssim(a, b, 7, 7)).toBeCloseTo(-0.9500970094072486, 10)
    const a9 = Float64Array.from({ length: 81 }, (_, i) => (i % 7) / 6)
    const b9 = Float64Array.from({ length: 81 }, (_, i) => ((i * 3) % 11) / 10)
    expect(ssim(a9, b9, 9, 9)).toBeCloseTo(-0.05482368652408414, 10)
    expect(ssim(a9, a9, 9, 9)).toBeCloseTo(1, 12)
    expect(
      ssim(
        a9.map((v) => v / 2),
        b9.map((v) => v / 2),
        9,
        9,
        0.5,
      ),
    ).toBeCloseTo(-0.05482368652408414, 10)
  })

  it('refuses maps smaller than the window or of the wrong size', () => {
    expect(() => ssim(new Float64Array(36), new Float64Array(36), 6, 6)).toThrow(/smaller than the 7×7 window/)
    expect(() => ssim(new Float64Array(49), new Float64Array(48), 7, 7)).toThrow(/48 values/)
  })
})

describe('deletion and insertion', () => {
  // A constructed model on a 1-channel 4×4 image: p = mean of the top-left 2×2 pixels.
  const g: InputGeometry = { layout: 'NCHW', channels: 1, height: 4, width: 4 }
  const important = [0, 1, 4, 5]
  const predict = async (batch: Float32Array, n: number) =>
    Float64Array.from({ length: n }, (_, i) => important.reduce((s, p) => s + batch[i * 16 + p], 0) / 4)
  const image = new Float32Array(16).fill(1)
  const background = new Float32Array(16)

  it('trapezoid AUC on x in [0, 1]', () => {
    expect(trapezoidAuc([1, 0])).toBe(0.5)
    expect(trapezoidAuc([1, 1, 0, 0, 0])).toBeCloseTo(0.375, 12)
  })

  it("a map ranking the model's pixels first: deletion 1/8, insertion 7/8; random in between", async () => {
    const map = Float64Array.from({ length: 16 }, (_, p) => (important.includes(p) ? 1 : 0))
    // 4 steps of 4 pixels: deletion removes the 4 important pixels first → p = 1, 0, 0, 0, 0
    expect(Array.from(await perturbationCurve('deletion', image, background, rankPixels(map, 1), g, predict, 4))).toEqual([1, 0, 0, 0, 0])
    expect(Array.from(await perturbationCurve('insertion', image, background, rankPixels(map, 1), g, predict, 4))).toEqual([0, 1, 1, 1, 1])
    // the baseline: a map that ranks two important pixels in each of the first two steps
    const randomMap = Float64Array.from({ length: 16 }, (_, p) => ([0, 1, 2, 3].includes(p) ? 2 : [4, 5, 6, 7].includes(p) ? 1 : 0))
    const s = await faithfulnessOf({ patient: 'p', map, randomMap, image, background, seed: 5 }, g, predict, 4)
    expect(s.deletion).toBeCloseTo(0.125, 12)
    expect(s.insertion).toBeCloseTo(0.875, 12)
    // baseline deletion: p = 1, 1/2, 0, 0, 0 → AUC (0.75 + 0.25) / 4 = 0.25; insertion 0, 1/2, 1, 1, 1 → 0.75
    expect(s.random_deletion).toBeCloseTo(0.25, 12)
    expect(s.random_insertion).toBeCloseTo(0.75, 12)
    // a seeded shuffle is a permutation, the same for the same seed
    expect(Array.from(randomOrder(16, 9)).sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i))
    expect(randomOrder(16, 9)).toEqual(randomOrder(16, 9))
    // the reversed map ranks them last: deletion 7/8
    expect(
      (await faithfulnessOf({ patient: 'p', map: map.map((v) => 1 - v), randomMap, image, background, seed: 5 }, g, predict, 4)).deletion,
    ).toBeCloseTo(0.875, 12)
  })

  it('moves every channel of a pixel (NHWC) and refuses mismatched sizes', async () => {
    const g3: InputGeometry = { layout: 'NHWC', channels: 3, height: 1, width: 2 }
    const seen: number[][] = []
    const spy = async (batch: Float32Array, n: number) => {
      for (let i = 0; i < n; i++) seen.push(Array.from(batch.subarray(i * 6, (i + 1) * 6)))
      return new Float64Array(n)
    }
    await perturbationCurve('deletion', Float32Array.from([1, 2, 3, 4, 5, 6]), new Float32Array(6), Int32Array.from([1, 0]), g3, spy, 2)
    expect(seen).toEqual([
      [1, 2, 3, 4, 5, 6],
      [1, 2, 3, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
    ])
    await expect(
      perturbationCurve('deletion', new Float32Array(5), new Float32Array(6), Int32Array.from([1, 0]), g3, spy, 2),
    ).rejects.toThrow(/image of 5/)
  })
})

describe('external predictions CSV', () => {
  const write = (name: string, text: string) => {
    const path = join(dir.path, name)
    writeFileSync(path, text)
    return path
  }

  it('reads Image Index and prob_<Finding> columns', () => {
    const p = readExternalPredictions(write('ok.csv', 'Image Index,prob_Cardiomegaly,prob_Pleural_Thickening\na.png,0.5,0.25\nb.png,1,0\n'))
    expect(p.findings).toEqual(['Cardiomegaly', 'Pleural_Thickening'])
    expect(p.byImage.get('b.png')!.get('Cardiomegaly')).toBe(1)
  })

  it('refuses a malformed file, naming file and line', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty\.csv, line 1: is empty/],
      ['image,prob_Mass\na.png,0.1\n', /line 1: has no "Image Index" column/],
      ['Image Index,prob_Pleural Thickening\na.png,0.1\n', /line 1: column "prob_Pleural Thickening" names no NIH finding/],
      ['Image Index,score\na.png,0.1\n', /line 1: column "score" is neither/],
      ['Image Index,prob_Mass,prob_Mass\na.png,0.1,0.2\n', /line 1: column prob_Mass appears twice/],
      ['Image Index\na.png\n', /has no prob_<Finding> column/],
      ['Image Index,prob_Mass\na.png,0.1\nb.png,1.5\n', /line 3: prob_Mass is "1.5"; expected a probability/],
      ['Image Index,prob_Mass\na.png,\n', /line 2: prob_Mass is ""/],
      ['Image Index,prob_Mass\na.png,NaN\n', /line 2: prob_Mass is "NaN"/],
      ['Image Index,prob_Mass\na.png,0.1\na.png,0.2\n', /line 3: image a\.png appears twice/],
      ['Image Index,prob_Mass\na.png,0.1,9\n', /line 2: has 3 fields; the header has 2/],
      ['Image Index,prob_Mass\n../x.png,0.1\n', /line 2: Image Index "\.\.\/x\.png" is not a file name/],
      ['Image Index,prob_Mass\n', /has a header but no prediction rows/],
    ]
    cases.forEach(([text, message], i) =>
      expect(() => readExternalPredictions(write(i === 0 ? 'empty.csv' : `bad${i}.csv`, text)), text).toThrow(message),
    )
    expect(() => readExternalPredictions(join(dir.path, 'missing.csv'))).toThrow(/Cannot read .*missing\.csv/)
  })

  it("reads the shared CheXNet reproduction's predictions", () => {
    const p = readExternalPredictions(join(NIH, 'reference/chexnet_dev_preds.csv'))
    expect(p.byImage.size).toBe(696)
    expect(p.findings).toHaveLength(14)
  })
})
