/**
 * One process of the WebGPU training equality test (tests/unit/webgpuTraining.test.ts):
 *   node --import tsx webgpuTrainingRun.ts OUT_DIR PROVIDER[,PROVIDER…]
 * For each listed provider in turn, each run on fresh TrainingProducts forced to that provider alone
 * (no fallback, so a run that could not use WebGPU fails rather than quietly comparing CPU with CPU):
 *  - block: one seeded epoch of head+last-block on the synthetic block fixture (trainLoop, batch 16);
 *  - head: one seeded epoch of the final layer on the fixture's pooled activations;
 *  - nih (when the shared NIH data is there): `fineTune` of the reference model's final layer on 240
 *    NIH cases, one epoch, registered, its weights read back from the registered package.
 * Writes OUT_DIR/runs.json (per run: provider, attempts, validation figures, weight files) and each
 * tensor as raw float32 (OUT_DIR/<run>-<part>-<param>.f32). The CPU process env is left as given:
 * the test sets VK_ICD_FILENAMES to the software adapter.
 *   node --import tsx webgpuTrainingRun.ts --placements
 * opens the three Gemm graphs the products use on WebGPU with onnxruntime's verbose log, whose "Node
 * placements" lines (on stderr) say whether every node runs on the WebGPU provider (a provider can
 * accept a session yet hand nodes it lacks to the CPU).
 */
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { importNih } from '../../src/main/cases/nihImporter'
import { InferenceEngine } from '../../src/main/model/inferenceEngine'
import * as ort from 'onnxruntime-node'
import { gemmModelBytes, TrainingProducts } from '../../src/main/model/matmulKernel'
import type { ProviderName } from '../../src/main/model/providers'
import { ModelRegistry } from '../../src/main/registry/modelRegistry'
import { CaseStore } from '../../src/main/store/caseStore'
import { openDatabase } from '../../src/main/store/database'
import { fineTune } from '../../src/main/training/fineTune'
import { rowSet } from '../../src/main/training/rowSet'
import { blockTrainable, linearHeadTrainable, type Trainable } from '../../src/main/training/trainables'
import { DEFAULT_TRAIN_OPTIONS, logitsOf, macroAurocOf, trainLoop } from '../../src/main/training/trainLoop'
import { HAS_NIH, imageFolder, LABELS_CSV, NIH_256, REFERENCE_VERSION } from './helpers'
import { blockFixture } from './webgpuTrainingFixture'

const [outDir, list = ''] = process.argv.slice(2)
const providers = list.split(',') as ProviderName[]
const options = { ...DEFAULT_TRAIN_OPTIONS, maxEpochs: 1, batchSize: 16 }
/** Pools the head fixture's inputs, the same for every run. */
const cpuPooling = new TrainingProducts({ providers: ['cpu'] })

function save(run: number, part: string, params: Array<{ name: string; data: Float32Array }>): Record<string, string> {
  return Object.fromEntries(
    params.map(({ name, data }) => {
      const file = `${run}-${part}-${name}.f32`
      writeFileSync(join(outDir, file), data)
      return [name, file]
    }),
  )
}

/** One seeded epoch of `model` on train, then its validation macro and per-finding AUROC. */
async function epoch(model: Trainable, train: ReturnType<typeof rowSet>, val: ReturnType<typeof rowSet>) {
  const trained = await trainLoop(model, train, val, options)
  const { macro, perClass } = await macroAurocOf(await logitsOf(model, val), val)
  return {
    history: trained.history.map(({ loss, valMacroAuroc }) => ({ loss, valMacroAuroc })),
    valMacroAuroc: macro,
    perFinding: perClass,
  }
}

async function syntheticRuns(run: number, products: TrainingProducts) {
  const f = blockFixture()
  const block = blockTrainable(f.block, f.head, f.cells, options.blockLrScale, products)
  const blockResult = await epoch(block, f.train, f.val)
  // The head alone, on the pooled activations of the fixture's (untrained) block, computed on the CPU in JS.
  const g = blockFixture()
  const K = g.block.bias.length
  const C = g.head.bias.length
  const cpuBlock = blockTrainable(g.block, { weight: new Float32Array(C * K), bias: new Float32Array(C) }, g.cells, 1, cpuPooling)
  const all = (n: number) => Array.from({ length: n }, (_, i) => i)
  const pooledSet = async (set: typeof g.train) =>
    rowSet(await cpuBlock.pooled(set.gather(all(set.n)), set.n), K, all(set.n), (i) => set.labels.subarray(i * C, (i + 1) * C), C)
  const head = linearHeadTrainable(g.head, K, products)
  const headResult = await epoch(head, await pooledSet(g.train), await pooledSet(g.val))
  return {
    block: { ...blockResult, weights: save(run, 'block', block.params) },
    head: { ...headResult, weights: save(run, 'head', head.params) },
  }
}

const nihDir = join(outDir, 'nih')
const store = new CaseStore(openDatabase(':memory:'))
const engine = new InferenceEngine({ providers: ['cpu'], threads: 1 })
const registry = new ModelRegistry(store, join(nihDir, 'models'))

async function nihRun(run: number, products: TrainingProducts) {
  const result = await fineTune(
    { store, registry, engine, dataDir: nihDir, products },
    // the parent each time: a registered child would otherwise become the model's newest version
    { model: 'cxr-mobilenet-v1', version: REFERENCE_VERSION, layers: 'head', options, fresh: true, registerIfWorse: true },
  )
  const pkg = registry.get('cxr-mobilenet-v1', result.child!.version).pkg
  return {
    provider: result.provider,
    providerAttempts: result.providerAttempts,
    history: result.history.map(({ loss, valMacroAuroc }) => ({ loss, valMacroAuroc })),
    valMacroAuroc: result.valMacroAuroc.child,
    testMacroAuroc: result.testMacroAuroc.child,
    perFinding: result.perFinding.map((p) => p.childAuroc),
    weights: save(run, 'nih', [
      { name: 'head.weight', data: pkg.head[0].weight },
      { name: 'head.bias', data: pkg.head[0].bias },
    ]),
  }
}

async function main(): Promise<void> {
  if (HAS_NIH)
    await importNih(store, { imagesDir: imageFolder(nihDir, NIH_256, readdirSync(NIH_256).sort().slice(200, 440)), labelsCsv: LABELS_CSV })
  const runs = []
  for (const [run, provider] of providers.entries()) {
    const products = new TrainingProducts({ providers: [provider] })
    const started = performance.now()
    try {
      const chosen = await products.provider()
      runs.push({
        ...chosen,
        ...(await syntheticRuns(run, products)),
        nih: HAS_NIH ? await nihRun(run, products) : null,
        seconds: (performance.now() - started) / 1000,
      })
    } finally {
      await products.close()
    }
  }
  writeFileSync(join(outDir, 'runs.json'), JSON.stringify(runs))
  await cpuPooling.close()
  await engine.close()
  store.close()
}

async function placements(): Promise<void> {
  for (const [a, b] of [
    [false, true],
    [true, false],
    [false, false],
  ]) {
    const session = await ort.InferenceSession.create(gemmModelBytes(a, b), {
      executionProviders: ['webgpu'],
      logSeverityLevel: 0,
      logVerbosityLevel: 0,
    })
    await session.release()
  }
}

;(outDir === '--placements' ? placements() : main()).catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`)
  process.exit(1)
})
