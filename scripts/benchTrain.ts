/**
 * `npm run bench:train [-- --model ID]`: imports the 1,716 shared NIH images into a temporary store,
 * extracts backbone activations once (timed), then fine-tunes the final layer and times its epochs.
 * Uses the default model (the bundled reference model) or, when none is installed, the test fixture.
 * Prints one JSON line: {"cases", "epoch_s_p50", "cases_per_s", "feature_extract_s", ...}.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { importNih } from '../src/main/cases/nihImporter'
import { InferenceEngine } from '../src/main/inference/inferenceEngine'
import { ModelRegistry } from '../src/main/inference/modelRegistry'
import { CaseStore } from '../src/main/store/caseStore'
import { fineTune } from '../src/main/training/fineTune'

const { values } = parseArgs({ options: { model: { type: 'string' }, epochs: { type: 'string' }, images: { type: 'string' } } })

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'cxr-bench-train-'))
  try {
    const store = CaseStore.open(join(work, 'cxr-lens.sqlite'))
    await importNih(store, { imagesDir: resolve(values.images ?? '../shared/data/nih/images-256'), labelsCsv: resolve('../shared/data/nih/labels.csv') })
    const registry = new ModelRegistry(store, join(work, 'models'))
    if (registry.list().length === 0 && existsSync('tests/fixtures/engine/tiny-resnet')) registry.import('tests/fixtures/engine/tiny-resnet')
    const engine = new InferenceEngine()
    const result = await fineTune({ store, registry, engine }, { model: values.model, layers: 'head', options: { maxEpochs: values.epochs ? Number(values.epochs) : 30 } })
    await engine.close()
    store.close()
    const sorted = [...result.epochSeconds].sort((a, b) => a - b)
    const p50 = sorted[Math.floor((sorted.length - 1) / 2)]
    const round = (x: number) => Math.round(x * 1000) / 1000
    console.log(JSON.stringify({
      cases: result.cases, epoch_s_p50: round(p50), cases_per_s: Math.round(result.split.train / p50), feature_extract_s: round(result.featureSeconds),
      model: `${result.parent.id}@${result.parent.version}`, epochs: result.epochSeconds.length,
      val_macro_auroc: result.valMacroAuroc.child, parent_val_macro_auroc: result.valMacroAuroc.parent,
    }))
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

void main()
