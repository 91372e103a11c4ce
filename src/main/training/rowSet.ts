/**
 * Training rows without copies: every split is a list of references into one [cases × D] matrix of
 * cached activations, and a SMOTE point is a reference to two real rows and a gap, materialized only
 * when its batch is gathered (a block's input is 36,864 floats per case).
 */
export type RowRef = number | { a: number; b: number; gap: number }

export class RowSet {
  readonly n: number

  constructor(
    /** [cases × D] row-major */
    readonly matrix: Float32Array,
    readonly D: number,
    readonly refs: RowRef[],
    /** [refs × C] 0/1 */
    readonly labels: Uint8Array,
    readonly classes: number,
  ) {
    this.n = refs.length
    if (labels.length !== refs.length * classes) throw new Error(`RowSet: ${labels.length} labels for ${refs.length} rows × ${classes} classes`)
  }

  /** The rows at the given positions as one [rows × D] matrix. */
  gather(positions: number[]): Float32Array {
    const { D, matrix } = this
    const out = new Float32Array(positions.length * D)
    positions.forEach((p, i) => {
      const ref = this.refs[p]
      if (typeof ref === 'number') {
        out.set(matrix.subarray(ref * D, (ref + 1) * D), i * D)
        return
      }
      const a = ref.a * D
      const b = ref.b * D
      const o = i * D
      for (let d = 0; d < D; d++) out[o + d] = matrix[a + d] + ref.gap * (matrix[b + d] - matrix[a + d])
    })
    return out
  }

  /** This set plus synthetic rows (SMOTE), with their labels. */
  withSynthetic(extra: Array<{ ref: RowRef; labels: Uint8Array }>): RowSet {
    const labels = new Uint8Array((this.n + extra.length) * this.classes)
    labels.set(this.labels)
    extra.forEach((e, i) => labels.set(e.labels, (this.n + i) * this.classes))
    return new RowSet(this.matrix, this.D, [...this.refs, ...extra.map((e) => e.ref)], labels, this.classes)
  }
}

/** The rows of `matrix` chosen by index, with their label rows. */
export function rowSet(matrix: Float32Array, D: number, rows: number[], labelsOf: (row: number) => Uint8Array, classes: number): RowSet {
  const labels = new Uint8Array(rows.length * classes)
  rows.forEach((r, i) => labels.set(labelsOf(r), i * classes))
  return new RowSet(matrix, D, rows, labels, classes)
}
