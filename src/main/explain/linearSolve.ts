/**
 * Solves the symmetric positive (semi-)definite system A x = B for several right-hand sides by
 * Cholesky, adding a tiny ridge only if A is numerically singular (e.g. a region that never varied).
 */
export function solveSpd(a: Float64Array, n: number, rhs: Float64Array[]): Float64Array[] {
  for (let attempt = 0, ridge = 0; attempt < 6; attempt++, ridge = ridge ? ridge * 100 : 1e-12 * (trace(a, n) / n || 1)) {
    const l = cholesky(a, n, ridge)
    if (l) return rhs.map((b) => backSubstitute(l, n, b))
  }
  throw new Error('the SHAP regression is singular: too few samples for this many regions')
}

function trace(a: Float64Array, n: number): number {
  let t = 0
  for (let i = 0; i < n; i++) t += a[i * n + i]
  return t
}

function cholesky(a: Float64Array, n: number, ridge: number): Float64Array | null {
  const l = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j] + (i === j ? ridge : 0)
      for (let k = 0; k < j; k++) sum -= l[i * n + k] * l[j * n + k]
      if (i === j) {
        if (!(sum > 0)) return null
        l[i * n + i] = Math.sqrt(sum)
      } else l[i * n + j] = sum / l[j * n + j]
    }
  }
  return l
}

function backSubstitute(l: Float64Array, n: number, b: Float64Array): Float64Array {
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let sum = b[i]
    for (let k = 0; k < i; k++) sum -= l[i * n + k] * y[k]
    y[i] = sum / l[i * n + i]
  }
  const x = new Float64Array(n)
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i]
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i] * x[k]
    x[i] = sum / l[i * n + i]
  }
  return x
}
