/** Ranks 1…n with ties given their average rank (as scipy.stats.rankdata's default). */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b])
  const ranks = new Float64Array(n)
  for (let start = 0; start < n;) {
    let end = start + 1
    while (end < n && values[order[end]] === values[order[start]]) end++
    const rank = (start + end + 1) / 2 // mean of the 1-based ranks start+1 … end
    for (let i = start; i < end; i++) ranks[order[i]] = rank
    start = end
  }
  return ranks
}

/**
 * Spearman's rank correlation (Pearson's r of the average ranks, so ties count as scipy counts them).
 * null when either side is constant: a flat map (a ReLU'd map with no positive cell) has no ranking
 * to compare, and calling that "uncorrelated" would flatter a sanity check.
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  if (a.length !== b.length) throw new Error(`spearman: ${a.length} values against ${b.length}`)
  const ra = averageRanks(a)
  const rb = averageRanks(b)
  const mean = (ra.length + 1) / 2
  let num = 0
  let da = 0
  let db = 0
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i] - mean) * (rb[i] - mean)
    da += (ra[i] - mean) ** 2
    db += (rb[i] - mean) ** 2
  }
  if (da === 0 || db === 0) return null
  return num / Math.sqrt(da * db)
}
