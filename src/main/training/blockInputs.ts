import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync } from 'node:fs'
import { totalmem } from 'node:os'
import { join } from 'node:path'
import type { InferenceEngine } from '../model/inferenceEngine'
import type { LastBlock } from '../model/lastBlock'
import { ModelPackageError, type ModelPackage } from '../model/modelPackage'
import { inferInBatches } from '../model/batchedInference'
import type { CaseStore } from '../store/caseStore'
import { blockTrainable } from './trainables'
import { trainingProducts, type Products } from '../model/matmulKernel'
import { replaceFileSync } from '../config/replaceFile'

/**
 * The activations entering the last block, per case, from onnxruntime-node (the tensor is tapped as
 * an extra graph output). They are cached as files, one per case (`<data dir>/cache/block-inputs/
 * <model sha>/<tensor>/<case>.f32`, cell-major [cells × Cin] float32: 144 KiB for MobileNet v1 at
 * 192²), not in the database: 1,716 cases make 250 MB, which would swell every backup. Training holds
 * them in one matrix (cases × 147 KB); a set too large for half the machine's memory is refused.
 */
export interface BlockInputs {
  matrix: Float32Array
  cells: number
  /** cases whose activations had to be computed (the rest came from the cache) */
  computed: number
}

/** Largest |network logit − block+head on the tapped input| accepted: float32 rounding only. */
const BLOCK_TOLERANCE = 1e-3

export async function blockInputs(
  /** `products`: the run's training products (the check below runs the block on them, as training will) */
  deps: { store: CaseStore; engine: InferenceEngine; cacheDir?: string; products?: Products },
  pkg: ModelPackage,
  block: LastBlock,
  caseIds: number[],
  hooks: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<BlockInputs> {
  const { manifest } = pkg
  const [, h, w] = manifest.outputs.features.shape
  const cells = h * w
  const D = cells * block.inChannels
  const bytes = caseIds.length * D * 4
  if (bytes > totalmem() / 2) {
    throw new Error(`Training the last block on ${caseIds.length} cases needs ${(bytes / 2 ** 30).toFixed(1)} GiB for their activations, more than half of this machine's memory; train the head alone (--layers head)`)
  }
  const matrix = new Float32Array(caseIds.length * D)
  const dir = deps.cacheDir ? join(deps.cacheDir, 'block-inputs', manifest.sha256, createHash('sha256').update(block.input).digest('hex').slice(0, 16)) : null
  const missing: number[] = []
  caseIds.forEach((id, row) => {
    if (!dir) return missing.push(row)
    try {
      const file = readFileSync(join(dir, `${id}.f32`))
      if (file.byteLength !== D * 4) return missing.push(row)
      new Uint8Array(matrix.buffer, row * D * 4, D * 4).set(file)
    } catch {
      missing.push(row)
    }
  })
  if (dir && missing.length) mkdirSync(dir, { recursive: true })
  let checked = false
  const input = (row: number) => {
    const record = deps.store.cases.get(caseIds[row])!
    return { image: record.path, name: record.imageName }
  }
  await inferInBatches(deps.engine, pkg, missing, input, async ({ items: rows, result: out }) => {
    const tapped = out.taps[block.input]
    if (tapped.length !== rows.length * D) throw new ModelPackageError(pkg.dir, `"${block.input}" has ${tapped.length / rows.length} values per case; the last block expects ${D}`)
    rows.forEach((row, i) => {
      // NCHW [Cin × cells] → cell-major [cells × Cin], so a batch is one [n·cells × Cin] matrix.
      const target = matrix.subarray(row * D, (row + 1) * D)
      for (let k = 0; k < block.inChannels; k++) for (let c = 0; c < cells; c++) target[c * block.inChannels + k] = tapped[i * D + k * cells + c]
      if (dir) {
        const file = join(dir, `${caseIds[row]}.f32`)
        // Two runs on one data folder extract the same cases at once: each write needs its own temporary name.
        replaceFileSync(file, new Uint8Array(target.buffer, target.byteOffset, target.byteLength))
      }
    })
    if (!checked) {
      await checkBlock(pkg, block, matrix.subarray(rows[0] * D, (rows[0] + 1) * D), out.logits.subarray(0, manifest.findings.length), cells, deps.products ?? trainingProducts)
      checked = true
    }
  }, { batchSize: 16, taps: [block.input], signal: hooks.signal, cancelled: () => new Error('Feature extraction cancelled; what was computed is cached'), onProgress: hooks.onProgress })
  return { matrix, cells, computed: missing.length }
}

/** The block as trained here, fed the tapped input, must give the network's own logits. */
async function checkBlock(pkg: ModelPackage, block: LastBlock, input: Float32Array, logits: Float32Array, cells: number, products: Products): Promise<void> {
  const head = pkg.head[0]
  const model = blockTrainable({ weight: Float32Array.from(block.weightData), bias: Float32Array.from(block.biasData), activation: block.activation, inChannels: block.inChannels }, { weight: Float32Array.from(head.weight), bias: Float32Array.from(head.bias) }, cells, 1, products)
  const mine = await model.forward(Float32Array.from(input), 1)
  const worst = Math.max(...Array.from(mine, (v, c) => Math.abs(v - logits[c])))
  if (!(worst <= BLOCK_TOLERANCE * Math.max(1, ...Array.from(logits, Math.abs)))) {
    throw new ModelPackageError(pkg.dir, `the last block (${block.weight}, ${block.activation}) and head do not reproduce the model's logits from "${block.input}" (max difference ${worst.toExponential(2)})`)
  }
}
