/**
 * Wilson score 95% interval of a proportion k/n: it stays inside [0, 1] and is honest at small n and
 * at 0 or n successes, where the normal (Wald) interval collapses to a point. For precision and recall.
 */
const Z = 1.959963984540054

export function wilson95(k: number, n: number): [number, number] | null {
  if (!(n > 0) || k < 0 || k > n) return null
  const p = k / n
  const z2 = Z * Z
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n)
  const half = (Z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n)
  return [Math.max(0, centre - half), Math.min(1, centre + half)]
}
