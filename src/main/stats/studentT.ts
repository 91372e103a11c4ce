/** Paired t-test (e.g. per-fold AUROC differences between two model versions). */
function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9)
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ]
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x)
  x -= 1
  let a = c[0]
  const t = x + 7.5
  for (let i = 1; i < 9; i++) a += c[i] / (x + i)
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a)
}

/** Continued fraction for the regularized incomplete beta function (Numerical Recipes, betacf). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  let c = 1
  let d = 1 - ((a + b) * x) / (a + 1)
  d = 1 / (Math.abs(d) < 1e-300 ? 1e-300 : d)
  let h = d
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m
    let aa = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2))
    d = 1 / (Math.abs(1 + aa * d) < 1e-300 ? 1e-300 : 1 + aa * d)
    c = Math.abs(1 + aa / c) < 1e-300 ? 1e-300 : 1 + aa / c
    h *= d * c
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2))
    d = 1 / (Math.abs(1 + aa * d) < 1e-300 ? 1e-300 : 1 + aa * d)
    c = Math.abs(1 + aa / c) < 1e-300 ? 1e-300 : 1 + aa / c
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < 1e-12) break
  }
  return h
}

function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0
  if (x >= 1) return 1
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x))
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b
}

/** Two-sided p-value of Student's t with df degrees of freedom. */
export function studentTwoSidedP(t: number, df: number): number {
  return regularizedBeta(df / (df + t * t), df / 2, 0.5)
}

export function pairedTTest(a: number[], b: number[]): { t: number; df: number; p: number; meanDifference: number } | null {
  if (a.length !== b.length || a.length < 2) return null
  const d = a.map((v, i) => v - b[i])
  const mean = d.reduce((s, v) => s + v, 0) / d.length
  const sd = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / (d.length - 1))
  if (sd === 0) return { t: mean === 0 ? 0 : Infinity, df: d.length - 1, p: mean === 0 ? 1 : 0, meanDifference: mean }
  const t = mean / (sd / Math.sqrt(d.length))
  return { t, df: d.length - 1, p: studentTwoSidedP(t, d.length - 1), meanDifference: mean }
}
