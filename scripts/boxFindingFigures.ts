/**
 * The figures issue 16 asks of a reference model, for one or more model folders on the same split:
 * macro AUROC over the 8 findings with radiologist boxes (patient-bootstrap 95% interval), Grad-CAM
 * mean IoU per finding beside the fixed prior box's, and mean T(IoBB ≥ 0.25) over the 8 findings
 * beside the prior box's (both with intervals), plus the paired bootstrap difference of the box-finding
 * macro AUROC between the first two models. The scoring is `cxr-lens evaluate`'s own (evaluateModel).
 *
 *   npx tsx scripts/boxFindingFigures.ts --split test --out training/reference/runs/model3/test.json \
 *     resources/models/cxr-mobilenet-v1 /path/to/other/model
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { bootstrap, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, groupBy } from '../src/main/evaluation/bootstrap'
import { evaluateModel, type CaseOutput } from '../src/main/evaluation/evaluate'
import { InferenceEngine } from '../src/main/model/inferenceEngine'
import { loadModelPackage } from '../src/main/model/modelPackage'
import { delong } from '../src/main/stats/roc'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    images: { type: 'string', default: '../shared/data/nih/images-256' },
    labels: { type: 'string', default: '../shared/data/nih/labels.csv' },
    boxes: { type: 'string', default: '../shared/data/nih/BBox_List_dev.csv' },
    'split-file': { type: 'string', default: 'training/reference/split.csv' },
    split: { type: 'string', default: 'test' },
    out: { type: 'string' },
    threads: { type: 'string', default: '2' },
    // the CAM mask: Otsu (every selection used it), or per-finding thresholds tuned on the val split
    threshold: { type: 'string', default: 'otsu' },
  },
})
if (values.threshold !== 'otsu' && values.threshold !== 'tuned') throw new Error(`--threshold is otsu or tuned, not "${values.threshold}"`)
if (positionals.length === 0 || !values.out)
  throw new Error('usage: boxFindingFigures.ts --out FILE.json [--split test] MODEL_DIR [MODEL_DIR…]')

const mean = (xs: Array<number | null>) => {
  const d = xs.filter((x): x is number => x !== null && Number.isFinite(x))
  return d.length ? d.reduce((a, b) => a + b, 0) / d.length : null
}

async function main() {
  const engine = new InferenceEngine({ providers: ['cpu'], threads: Number(values.threads) })
  const models: Array<Record<string, unknown>> = []
  const perModel: Array<{ outputs: CaseOutput[]; box: string[]; findings: string[] }> = []
  try {
    for (const dir of positionals) {
      const pkg = loadModelPackage(resolve(dir))
      const started = performance.now()
      const { report, outputs } = await evaluateModel(pkg, engine, {
        imagesDir: resolve(values.images!),
        labelsCsv: resolve(values.labels!),
        boxesCsv: resolve(values.boxes!),
        method: 'gradcam',
        threshold: values.threshold === 'tuned' ? 'tuned' : 'otsu',
        protocol: 'chestxray8',
        split: { file: resolve(values['split-file']!), name: values.split! },
      })
      const findings = pkg.manifest.findings
      const box = Object.keys(pkg.manifest.localizationPrior ?? {}).filter((f) => findings.includes(f))
      perModel.push({ outputs, box, findings })
      const macro8 = (cases: CaseOutput[]) =>
        mean(
          box.map((f) => {
            const c = findings.indexOf(f)
            return (
              delong(
                cases.map((o) => o.probabilities[c]),
                cases.map((o) => (o.c.findings.has(f) ? 1 : 0)),
              )?.auc ?? null
            )
          }),
        )
      const ci = bootstrap(
        groupBy(outputs, (o) => o.c.patient),
        (cases) => ({ macro8: macro8(cases) }),
        { resamples: BOOTSTRAP_RESAMPLES, seed: BOOTSTRAP_SEED },
      ).macro8
      const iou = Object.fromEntries(
        box.map((f) => [
          f,
          {
            model: report.localization[f]?.iou_mean ?? null,
            prior: report.localization_prior[f]?.iou_mean ?? null,
            n_boxes: report.localization[f]?.n_boxes ?? 0,
          },
        ]),
      )
      const t25 = (row: { iobb_acc: Record<string, number | null> } | undefined) => row?.iobb_acc['0.25'] ?? null
      models.push({
        dir,
        id: pkg.manifest.id,
        version: pkg.manifest.version,
        sha256: pkg.manifest.sha256,
        images: report.images,
        macro_auroc_all: report.classification.macro_auroc,
        macro_auroc_box8: { estimate: ci.estimate, ci95: ci.ci95 },
        iou_mean: iou,
        findings_beating_prior_on_iou: box.filter((f) => (iou[f].model ?? 0) > (iou[f].prior ?? 0)).length,
        mean_iobb_025: {
          model: mean(box.map((f) => t25(report.localization[f]))),
          prior: mean(box.map((f) => t25(report.localization_prior[f] as never))),
        },
        mean_iou: { model: mean(box.map((f) => iou[f].model)), prior: mean(box.map((f) => iou[f].prior)) },
        hit_rate: Object.fromEntries(box.map((f) => [f, report.localization[f]?.hit_rate ?? null])),
        chestxray8_iobb_01: Object.fromEntries(box.map((f) => [f, report.localization_chestxray8?.[f]?.iobb_acc['0.1'] ?? null])),
        localization_ci: report.localization_ci,
        seconds: (performance.now() - started) / 1000,
      })
      process.stderr.write(
        `${pkg.manifest.version}: box-8 macro AUROC ${ci.estimate?.toFixed(3)} [${ci.ci95?.map((v) => v.toFixed(3)).join(', ')}]\n`,
      )
    }
  } finally {
    await engine.close()
  }
  // Paired: the same resampled patients for both models (the images are the same, in the same order).
  let paired: Record<string, unknown> | null = null
  if (perModel.length >= 2) {
    const [a, b] = perModel
    const byImage = new Map(b.outputs.map((o) => [o.c.image, o]))
    const pairs = a.outputs.map((o) => ({ a: o, b: byImage.get(o.c.image)! }))
    const macro = (cases: CaseOutput[], m: (typeof perModel)[number]) =>
      mean(
        m.box.map((f) => {
          const c = m.findings.indexOf(f)
          return (
            delong(
              cases.map((o) => o.probabilities[c]),
              cases.map((o) => (o.c.findings.has(f) ? 1 : 0)),
            )?.auc ?? null
          )
        }),
      )
    const d = bootstrap(
      groupBy(pairs, (p) => p.a.c.patient),
      (cases) => {
        const x = macro(
          cases.map((p) => p.a),
          a,
        )
        const y = macro(
          cases.map((p) => p.b),
          b,
        )
        return { difference: x !== null && y !== null ? y - x : null }
      },
      { resamples: BOOTSTRAP_RESAMPLES, seed: BOOTSTRAP_SEED },
    ).difference
    paired = {
      what: `${positionals[1]} minus ${positionals[0]}, box-8 macro AUROC, paired patient bootstrap`,
      estimate: d.estimate,
      ci95: d.ci95,
    }
  }
  const out = resolve(values.out!)
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(
    out,
    JSON.stringify(
      {
        split: values.split,
        splitFile: values['split-file'],
        method: 'gradcam',
        threshold: values.threshold,
        bootstrap: { unit: 'patient', resamples: BOOTSTRAP_RESAMPLES, seed: BOOTSTRAP_SEED },
        models,
        paired,
      },
      null,
      2,
    ),
  )
  console.log(
    JSON.stringify(
      models.map((m) => ({
        version: m.version,
        macro_auroc_box8: m.macro_auroc_box8,
        mean_iou: m.mean_iou,
        mean_iobb_025: m.mean_iobb_025,
        beating_prior: m.findings_beating_prior_on_iou,
      })),
    ),
  )
  if (paired) console.log(JSON.stringify(paired))
}

void main()
