/**
 * Turns a version fine-tuned by `cxr-lens train` into the bundled reference model: copies its ONNX
 * file (unchanged: same graph, same initializer names, so the engine contract holds) and writes its
 * manifest with the new version, the parent's localization prior (the same training boxes), the
 * thresholds the fine-tune chose on validation, and a model card that records the data, the split,
 * the selection rules, the validation and test figures, and what was tried and did not help.
 *
 *   npx tsx scripts/packageReferenceModel.ts --from DATA/models/<version dir> --figures test.json \
 *     --version 3.0.0 --command "…" --minutes 42 --out resources/models/cxr-mobilenet-v1
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { loadModelPackage } from '../src/main/model/modelPackage'

const { values } = parseArgs({
  options: {
    from: { type: 'string' },
    figures: { type: 'string' },
    version: { type: 'string' },
    command: { type: 'string' },
    minutes: { type: 'string' },
    notes: { type: 'string' },
    rules: { type: 'string', default: 'training/reference/runs/model3/RULES.md' },
    out: { type: 'string', default: 'resources/models/cxr-mobilenet-v1' },
  },
})
if (!values.from || !values.figures || !values.version || !values.command || !values.minutes)
  throw new Error(
    'usage: packageReferenceModel.ts --from DIR --figures JSON --version V --command CMD --minutes M [--notes FILE.json] [--rules FILE.md] [--out DIR]',
  )

const child = JSON.parse(readFileSync(join(values.from, 'manifest.json'), 'utf8'))
const parent = JSON.parse(readFileSync(join(values.out!, 'manifest.json'), 'utf8'))
const figures = JSON.parse(readFileSync(values.figures, 'utf8'))
const notes = values.notes ? JSON.parse(readFileSync(values.notes, 'utf8')) : {}
const test = figures.models.find((m: { sha256: string }) => m.sha256 === child.sha256)
if (!test) throw new Error(`${values.figures} has no figures for ${child.sha256}`)
const parentTest = figures.models.find((m: { sha256: string }) => m.sha256 === parent.sha256) ?? null
// the split file as the repository names it, not this machine's absolute path
const training = {
  ...child.provenance.training,
  ...(child.provenance.training.splitFile ? { splitFile: relative(process.cwd(), child.provenance.training.splitFile) } : {}),
}

// A parent that is itself a fine-tune (3.1 on 3.0) already says how it was fine-tuned: add this round, do not repeat it.
const release = values.version.split('.').slice(0, 2).join('.')
const again = /fine-tuned by CXR Lens/.test(parent.modelCard.trainingData)
const soft = [
  training.options.labelSmoothing ? `label smoothing ε = ${training.options.labelSmoothing}` : '',
  training.options.mixup ? `mixup α = ${training.options.mixup} on the cached last-block inputs` : '',
  training.distillation
    ? `distillation (weight ${training.distillation.weight}) toward ${training.distillation.file} on the ${training.distillation.trainImages} train images it lists`
    : '',
].filter(Boolean)
// The localization term the fine-tune used (`--box-loss`; absent in the training record: mass, as up to 3.1.0).
const MASS = 'CAM loss (−log of the spatial-softmax mass of the class activation map inside the radiologist box)'
// τ: `--fill-temperature` (absent in the training record: 2, as 3.2.0 and 3.3.0 were trained)
const FILL = `fill loss (per-cell logistic loss of σ(${training.options.fillTemperature ?? 2}·z), z the class activation map standardized over the cells, against the radiologist box mask, inside and outside cells balanced by their counts)`
const findingWeights: Record<string, number> | undefined = training.boxSupervision?.findingWeights
const weightsText = findingWeights
  ? `; ${Object.entries(findingWeights)
      .map(([f, w]) => `${f}'s λ multiplied by ${w}`)
      .join(', ')}`
  : ''
// `--level-weight` (and `--level-findings`): absent in every record up to 3.5.0
const levelFindings: string[] | undefined = training.boxSupervision?.levelFindings
const levelText = training.options.levelWeight
  ? `; plus ${training.options.levelWeight} × λ × the level term (the variance of the standardized map over the box's cells)${levelFindings ? ` for ${levelFindings.join(', ')}` : ''}`
  : ''
const keptText =
  training.options.keepEpoch === 'last'
    ? `all ${training.options.maxEpochs} epochs, the last kept (--keep-epoch last)`
    : `at most ${training.options.maxEpochs} epochs, best epoch ${training.bestEpoch} by validation macro AUROC`
const boxLossText: Record<string, string> = { mass: MASS, fill: FILL, 'fill+mass': `(${FILL} + ${MASS})` }
const boxLoss: string = training.boxSupervision?.loss ?? 'mass'
const manifest = {
  ...child,
  version: values.version,
  localizationPrior: parent.localizationPrior,
  provenance: {
    createdBy: 'cxr-lens train --boxes (final layer and last block) + scripts/packageReferenceModel.ts',
    command: values.command,
    trainingMinutes2Cpu: Number(values.minutes),
    parent: { id: parent.id, version: parent.version, sha256: parent.sha256 },
    parentProvenance: parent.provenance,
    split: 'training/reference/split.csv',
    training,
  },
  modelCard: {
    ...parent.modelCard,
    trainingData: again
      ? `${parent.modelCard.trainingData} ${release}: conv_pw_13 and the final layer of ${parent.version} fine-tuned again ${boxLoss === 'mass' ? 'the same way' : `with the ${boxLoss} box loss`}, on the same split.`
      : `${parent.modelCard.trainingData} Then conv_pw_13 and the final layer fine-tuned by CXR Lens's own trainer (cxr-lens train --boxes) on the same split: ${training.train} train images fit (${training.boxSupervision.boxedCases.train} of them with radiologist boxes supervising Grad-CAM through a CAM loss), ${training.val} validation images choose the epoch, the box weight and whether to ship, ${training.test} test images only reported.`,
    training: `${parent.modelCard.training} Fine-tune (${release}${again ? `, from ${parent.version}` : ''}): BCE with class weights${soft.length ? ` (${soft.join('; ')})` : ''} plus λ × ${boxLossText[boxLoss]} (on the 12×12 map; λ = ${training.boxSupervision.weight} ${training.boxSupervision.candidates.length > 1 ? `chosen on validation boxes from {${training.boxSupervision.candidates.join(', ')}}` : 'the only weight of this run; the loss and λ were chosen across runs, see selection'}${weightsText}${levelText}), Adam lr ${training.options.learningRate} (block ×${training.options.blockLrScale}), L2 ${training.options.l2}, dropout ${training.options.dropout}, batch ${training.options.batchSize}, ${keptText}; ${values.minutes} min on 2 CPU cores.`,
    selection: `${values.rules} (written before the test split was scored)`,
    metrics: {
      ci_method: parent.modelCard.metrics.ci_method,
      val: child.modelCard.metrics.val,
      localization_val: child.modelCard.metrics.localization_val,
      test: {
        n_images: test.images,
        macro_auroc_all: test.macro_auroc_all,
        macro_auroc_box8: test.macro_auroc_box8,
        iou_mean: test.iou_mean,
        findings_beating_prior_on_iou: test.findings_beating_prior_on_iou,
        mean_iou: test.mean_iou,
        mean_iobb_025: test.mean_iobb_025,
        hit_rate: test.hit_rate,
        chestxray8_iobb_01: test.chestxray8_iobb_01,
        per_finding: child.modelCard.metrics.test.per_finding,
      },
      ...(parentTest
        ? {
            parent_test: {
              version: parent.version,
              macro_auroc_box8: parentTest.macro_auroc_box8,
              mean_iou: parentTest.mean_iou,
              mean_iobb_025: parentTest.mean_iobb_025,
              findings_beating_prior_on_iou: parentTest.findings_beating_prior_on_iou,
            },
          }
        : {}),
      ...(figures.paired ? { paired_difference: figures.paired } : {}),
      parent_metrics: parent.modelCard.metrics,
    },
    ...notes,
  },
}
copyFileSync(join(values.from, 'model.onnx'), join(values.out!, 'model.onnx'))
writeFileSync(join(values.out!, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
// The package must load as any model does (schema, sha256 of the file, head and feature outputs).
const pkg = loadModelPackage(resolve(values.out!))
console.log(`${pkg.manifest.id} ${pkg.manifest.version} ${pkg.manifest.sha256}`)
