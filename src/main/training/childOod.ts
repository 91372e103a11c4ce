import { fitMahalanobis, passThreshold } from '../model/oodFit'
import { jointEnergy, mahalanobisDistance } from '../model/oodScore'
import type { OodStats } from '../model/oodStats'
import type { RowSet } from './rowSet'
import type { Trainable } from './trainables'

const PASS_RATE = 0.95
const MAX_DIRECTIONS = 32

/** Pooled features [n × K] and logits [n × C] of a set through a trainable, in chunks. */
async function pooledAndLogits(model: Trainable, set: RowSet, chunk = 128): Promise<{ pooled: Float32Array[]; logits: Float32Array[] }> {
  const pooled: Float32Array[] = []
  const logits: Float32Array[] = []
  for (let start = 0; start < set.n; start += chunk) {
    const rows = Array.from({ length: Math.min(chunk, set.n - start) }, (_, i) => start + i)
    const x = set.gather(rows)
    const p = await model.pooled(x, rows.length)
    const z = await model.forward(x, rows.length)
    const K = p.length / rows.length
    const C = z.length / rows.length
    rows.forEach((_, i) => {
      pooled.push(Float32Array.from(p.subarray(i * K, (i + 1) * K)))
      logits.push(z.subarray(i * C, (i + 1) * C))
    })
  }
  return { pooled, logits }
}

/**
 * A fine-tuned child's out-of-distribution statistics, from the fine-tune's own cases: the pooled
 * features of its training rows (real cases only, no SMOTE points) through the child (the last block
 * changes them; a head-only child has its parent's), thresholds at 95% of its validation rows. The
 * score is the parent's choice (no validation probes are made here), Mahalanobis when the parent had none.
 */
export async function childOodStats(child: Trainable, train: RowSet, val: RowSet, parent: OodStats | null): Promise<OodStats> {
  const fitRows = await pooledAndLogits(child, train)
  const dims = fitRows.pooled[0].length
  const data = new Float32Array(train.n * dims)
  fitRows.pooled.forEach((row, i) => data.set(row, i * dims))
  const fitted = fitMahalanobis({ data, n: train.n, dims }, Math.min(MAX_DIRECTIONS, Math.max(1, train.n - 2)))
  const { explained, ...mahalanobis } = fitted
  const valRows = await pooledAndLogits(child, val)
  const distances = valRows.pooled.map((row) => mahalanobisDistance(fitted, row))
  const energies = valRows.logits.map((z) => jointEnergy(z))
  return {
    method: parent?.method ?? 'mahalanobis',
    passRate: PASS_RATE,
    mahalanobis: { ...mahalanobis, threshold: passThreshold(distances, PASS_RATE) },
    energy: { threshold: passThreshold(energies, PASS_RATE) },
    provenance: {
      createdBy: 'cxr-lens train',
      train: train.n,
      val: val.n,
      shrinkage: fitted.shrinkage,
      explained,
      method: parent ? "the parent's choice" : 'mahalanobis (the parent had no statistics)',
    },
  }
}
