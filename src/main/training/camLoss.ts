/**
 * The localization term of box-supervised fine-tuning (in the spirit of Li et al., CVPR 2018, and of
 * "right for the right reasons"): for a finding that is present and has a radiologist box, the class
 * activation map CAM_c(s) = Σ_k W[c,k]·A[s,k] over the feature map's cells is turned into a spatial
 * distribution p = softmax(CAM_c), and the loss is −log of the probability mass inside the box,
 * −log Σ_{s∈box} p_s. It is zero when all the evidence lies in the box and grows with the mass outside
 * it; the head's bias shifts every cell alike, so it has no gradient here. Its gradient with respect
 * to the map is p_s − [s∈box]·p_s / M (M the mass inside), written out below.
 */

/** One box-supervised finding of one case: the finding's column and its box as a 0/1 mask over the cells. */
export interface BoxTarget {
  finding: number
  mask: Uint8Array
  /** multiplies λ for this finding (`--box-finding-weights`; absent: 1) */
  weight?: number
  /** false: the level term (`--level-weight`) leaves this finding out (`--level-findings` names the others) */
  level?: boolean
}

/**
 * Loss and gradient of one finding's CAM column. `cam` is [cells × C] row-major; adds `scale` ×
 * dL/dCAM into the same column of `grad` and returns the (unscaled) loss. A mask without a cell
 * carries no supervision (0 loss, no gradient).
 */
export function boxLossColumn(cam: Float32Array, grad: Float32Array, cells: number, C: number, target: BoxTarget, scale: number): number {
  const c = target.finding
  let max = -Infinity
  for (let s = 0; s < cells; s++) max = Math.max(max, cam[s * C + c])
  let all = 0
  let inside = 0
  const e = new Float64Array(cells)
  for (let s = 0; s < cells; s++) {
    e[s] = Math.exp(cam[s * C + c] - max)
    all += e[s]
    if (target.mask[s]) inside += e[s]
  }
  if (inside === 0 || !Number.isFinite(all)) return 0
  for (let s = 0; s < cells; s++) {
    const p = e[s] / all
    grad[s * C + c] += scale * (p - (target.mask[s] ? e[s] / inside : 0))
  }
  return Math.log(all) - Math.log(inside)
}
