/**
 * `npm run bench:train [-- --model ID] [--epochs N] [--block-epochs N] [--provider cpu|webgpu|cuda]
 * [--threads N] [--cases N] [--images DIR] [--labels CSV] [--layers head|head+last-block|both]`:
 * imports the 1,716 shared NIH images (or the first N of --images) into a temporary store, then
 * fine-tunes as `cxr-lens train` would (data folder, checkpoints and all): the final layer (pooled
 * features extracted once, timed) and the last block with the final layer (block inputs extracted
 * once, timed). Uses the default model (the bundled reference model) or, when none is installed, the
 * test fixture (which has no last block).
 * The products run on the inference provider chain (CUDA, then WebGPU, then the CPU); --provider
 * forces one, for the training products and the feature extraction alike, with no fallback (a
 * provider that cannot start is an error), e.g. to put a GPU's epoch times beside the CPU's on the same
 * machine; --threads sets onnxruntime's intra-op threads for both (default: every physical core).
 * Epoch times are wall seconds (`epoch_s`) and this process's CPU seconds (`epoch_cpu_s`, all threads,
 * from the end of one epoch's callback to the next: it includes that epoch's checkpoint write): on a
 * shared machine the CPU figure is the steadier one.
 * Prints one JSON line: {"cases", "provider", "epoch_s_p50", "epoch_cpu_s_p50", "cases_per_s",
 * "feature_extract_s", ..., "last_block": {...}}.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { importNih } from '../src/main/cases/nihImporter'
import { InferenceEngine } from '../src/main/model/inferenceEngine'
import { TrainingProducts } from '../src/main/model/matmulKernel'
import { PROVIDER_PREFERENCE, type ProviderName } from '../src/main/model/providers'
import { ModelRegistry } from '../src/main/registry/modelRegistry'
import { CaseStore } from '../src/main/store/caseStore'
import type { TrainLayers } from '../src/shared/domain'
import { fineTune } from '../src/main/training/fineTune'

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    epochs: { type: 'string' },
    'block-epochs': { type: 'string' },
    images: { type: 'string' },
    labels: { type: 'string' },
    cases: { type: 'string' },
    provider: { type: 'string' },
    threads: { type: 'string' },
    layers: { type: 'string' },
  },
})

function count(name: string, fallback: number, min = 0): number {
  const raw = values[name as keyof typeof values] as string | undefined
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min}, not "${raw}"`)
  return n
}

const round = (x: number) => Math.round(x * 1000) / 1000
const p50 = (v: number[]) => {
  const sorted = [...v].sort((a, b) => a - b)
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : 0
}
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1e6
}

/** The first `n` images of `dir` (sorted), as a folder of links, so the importer sees only those. */
function firstImages(dir: string, n: number, work: string): string {
  const linked = join(work, 'images')
  mkdirSync(linked)
  const names = readdirSync(dir)
    .filter((f) => /\.(png|jpe?g)$/i.test(f))
    .sort()
    .slice(0, n)
  for (const name of names) symlinkSync(join(dir, name), join(linked, name))
  return linked
}

async function main(): Promise<void> {
  const provider = values.provider as ProviderName | undefined
  if (provider && !PROVIDER_PREFERENCE.includes(provider))
    throw new Error(`--provider must be one of ${PROVIDER_PREFERENCE.join(', ')}, not "${provider}"`)
  const layers = values.layers ?? 'both'
  if (!['head', 'head+last-block', 'both'].includes(layers))
    throw new Error(`--layers must be head, head+last-block or both, not "${layers}"`)
  const threads = count('threads', 0)
  const sessionOptions = { ...(provider ? { providers: [provider] } : {}), ...(threads ? { threads } : {}) }
  const work = mkdtempSync(join(tmpdir(), 'cxr-bench-train-'))
  try {
    const store = CaseStore.open(join(work, 'cxr-lens.sqlite'))
    const imagesDir = resolve(values.images ?? '../shared/data/nih/images-256')
    await importNih(store, {
      imagesDir: values.cases ? firstImages(imagesDir, count('cases', 0, 20), work) : imagesDir,
      labelsCsv: resolve(values.labels ?? '../shared/data/nih/labels.csv'),
    })
    const registry = new ModelRegistry(store, join(work, 'models'))
    if (registry.list().length === 0 && existsSync('tests/fixtures/engine/tiny-resnet'))
      registry.import('tests/fixtures/engine/tiny-resnet')
    const engine = new InferenceEngine(sessionOptions)
    const run = async (trained: TrainLayers, maxEpochs: number) => {
      const products = new TrainingProducts(sessionOptions)
      const epochCpu: number[] = []
      let mark = 0
      try {
        const result = await fineTune(
          { store, registry, engine, dataDir: work, products },
          { model: values.model, layers: trained, options: { maxEpochs }, registerIfWorse: true },
          {
            // the first epoch starts once the products' provider is chosen, after the feature extraction
            onProgress: (m) => m.startsWith('matrix products on') && (mark = cpuSeconds()),
            onEpoch: (r) => {
              const now = cpuSeconds()
              epochCpu.push(now - mark)
              mark = now
              process.stderr.write(
                `${trained} epoch ${r.epoch}: ${r.seconds.toFixed(2)} s (${epochCpu.at(-1)!.toFixed(2)} CPU s), val macro AUROC ${r.valMacroAuroc?.toFixed(3)}\n`,
              )
            },
          },
        )
        return { ...result, epochCpu }
      } finally {
        await products.close()
      }
    }
    const pkg = registry.get(values.model).pkg
    const head = layers === 'head+last-block' ? null : await run('head', count('epochs', 30, 1))
    const block = pkg.lastBlock && layers !== 'head' ? await run('head+last-block', count('block-epochs', 3, 1)) : null
    await engine.close()
    store.close()
    const summary = (r: NonNullable<typeof head>) => ({
      provider: r.provider,
      provider_attempts: r.providerAttempts,
      epoch_s: r.epochSeconds.map(round),
      epoch_s_p50: round(p50(r.epochSeconds)),
      epoch_cpu_s: r.epochCpu.map(round),
      epoch_cpu_s_p50: round(p50(r.epochCpu)),
      cases_per_s: Math.round(r.split.train / p50(r.epochSeconds)),
      feature_extract_s: round(r.featureSeconds),
      checkpoint_s_p50: round(p50(r.checkpointSeconds)),
      epochs: r.epochSeconds.length,
      val_macro_auroc: r.valMacroAuroc.child,
      parent_val_macro_auroc: r.valMacroAuroc.parent,
    })
    const first = (head ?? block)!
    console.log(
      JSON.stringify({
        cases: first.cases,
        forced_provider: provider ?? null,
        threads: threads || 'default',
        model: `${first.parent.id}@${first.parent.version}`,
        train_cases: first.split.train,
        ...(head ? summary(head) : { provider: block!.provider, provider_attempts: block!.providerAttempts }),
        head: head ? summary(head) : null,
        last_block: block ? summary(block) : null,
      }),
    )
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

main().catch((error: Error) => {
  process.stderr.write(`bench:train: ${error.message}\n`)
  process.exit(1)
})
