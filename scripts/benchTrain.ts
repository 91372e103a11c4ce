/**
 * `npm run bench:train [-- --model ID] [--epochs N] [--block-epochs N]`: imports the 1,716 shared NIH
 * images into a temporary store, then fine-tunes twice as `cxr-lens train` would (data folder,
 * checkpoints and all): the final layer (pooled features extracted once, timed) and the last block
 * with the final layer (block inputs extracted once, timed). Uses the default model (the bundled
 * reference model) or, when none is installed, the test fixture (which has no last block).
 * The products run on the inference provider chain (CXR_LENS_PROVIDER=cpu forces the CPU, e.g. to put
 * a GPU's epoch times beside the CPU's on the same machine).
 * Prints one JSON line: {"cases", "provider", "epoch_s_p50", "cases_per_s", "feature_extract_s", ...,
 * "last_block": {...}}.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { importNih } from '../src/main/cases/nihImporter'
import { InferenceEngine } from '../src/main/model/inferenceEngine'
import { ModelRegistry } from '../src/main/registry/modelRegistry'
import { CaseStore } from '../src/main/store/caseStore'
import type { TrainLayers } from '../src/shared/domain'
import { fineTune } from '../src/main/training/fineTune'

const { values } = parseArgs({
  options: { model: { type: 'string' }, epochs: { type: 'string' }, 'block-epochs': { type: 'string' }, images: { type: 'string' } },
})

const round = (x: number) => Math.round(x * 1000) / 1000
const p50 = (v: number[]) => {
  const sorted = [...v].sort((a, b) => a - b)
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : 0
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'cxr-bench-train-'))
  try {
    const store = CaseStore.open(join(work, 'cxr-lens.sqlite'))
    await importNih(store, {
      imagesDir: resolve(values.images ?? '../shared/data/nih/images-256'),
      labelsCsv: resolve('../shared/data/nih/labels.csv'),
    })
    const registry = new ModelRegistry(store, join(work, 'models'))
    if (registry.list().length === 0 && existsSync('tests/fixtures/engine/tiny-resnet'))
      registry.import('tests/fixtures/engine/tiny-resnet')
    const engine = new InferenceEngine()
    const run = (layers: TrainLayers, maxEpochs: number) =>
      fineTune(
        { store, registry, engine, dataDir: work },
        { model: values.model, layers, options: { maxEpochs }, registerIfWorse: true },
        {
          onEpoch: (r) =>
            process.stderr.write(`${layers} epoch ${r.epoch}: ${r.seconds.toFixed(2)} s, val macro AUROC ${r.valMacroAuroc?.toFixed(3)}\n`),
        },
      )
    const head = await run('head', values.epochs ? Number(values.epochs) : 30)
    const pkg = registry.get(values.model).pkg
    const block = pkg.lastBlock ? await run('head+last-block', values['block-epochs'] ? Number(values['block-epochs']) : 3) : null
    await engine.close()
    store.close()
    const summary = (r: Awaited<ReturnType<typeof run>>) => ({
      provider: r.provider,
      epoch_s: r.epochSeconds.map(round),
      epoch_s_p50: round(p50(r.epochSeconds)),
      cases_per_s: Math.round(r.split.train / p50(r.epochSeconds)),
      feature_extract_s: round(r.featureSeconds),
      checkpoint_s_p50: round(p50(r.checkpointSeconds)),
      epochs: r.epochSeconds.length,
      val_macro_auroc: r.valMacroAuroc.child,
      parent_val_macro_auroc: r.valMacroAuroc.parent,
    })
    console.log(
      JSON.stringify({
        cases: head.cases,
        provider_attempts: head.providerAttempts,
        ...summary(head),
        model: `${head.parent.id}@${head.parent.version}`,
        train_cases: head.split.train,
        last_block: block ? summary(block) : null,
      }),
    )
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

void main()
