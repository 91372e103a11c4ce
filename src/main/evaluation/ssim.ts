/**
 * Structural similarity (Wang et al. 2004) as scikit-image's structural_similarity computes it with
 * its defaults: 7×7 uniform windows, K1 = 0.01, K2 = 0.03, sample covariance (N/(N−1)), the caller's
 * data range, averaged over the windows that lie wholly inside the image (skimage crops the
 * (7−1)/2-cell border, which is exactly those). Adebayo et al. 2018 report it beside rank correlation.
 */
const WIN = 7

/** Window sums of a row-major image via a summed-area table; out[y·(W−6)+x] is the window at (x, y). */
function windowSums(values: ArrayLike<number>, width: number, height: number): Float64Array {
  const sat = new Float64Array((width + 1) * (height + 1))
  for (let y = 0; y < height; y++) {
    let row = 0
    for (let x = 0; x < width; x++) {
      row += values[y * width + x]
      sat[(y + 1) * (width + 1) + x + 1] = sat[y * (width + 1) + x + 1] + row
    }
  }
  const ow = width - WIN + 1
  const oh = height - WIN + 1
  const out = new Float64Array(ow * oh)
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const at = (yy: number, xx: number) => sat[yy * (width + 1) + xx]
      out[y * ow + x] = at(y + WIN, x + WIN) - at(y, x + WIN) - at(y + WIN, x) + at(y, x)
    }
  }
  return out
}

export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, width: number, height: number, dataRange = 1): number {
  if (a.length !== width * height || b.length !== width * height)
    throw new Error(`ssim: maps of ${a.length} and ${b.length} values for a ${width}×${height} grid`)
  if (width < WIN || height < WIN) throw new Error(`ssim: a ${width}×${height} map is smaller than the ${WIN}×${WIN} window`)
  if (!(dataRange > 0)) throw new Error(`ssim: data range must be positive, got ${dataRange}`)
  const n = WIN * WIN
  const product = (p: ArrayLike<number>, q: ArrayLike<number>) => Float64Array.from({ length: p.length }, (_, i) => p[i] * q[i])
  const sa = windowSums(a, width, height)
  const sb = windowSums(b, width, height)
  const saa = windowSums(product(a, a), width, height)
  const sbb = windowSums(product(b, b), width, height)
  const sab = windowSums(product(a, b), width, height)
  const covNorm = n / (n - 1)
  const c1 = (0.01 * dataRange) ** 2
  const c2 = (0.03 * dataRange) ** 2
  let total = 0
  for (let i = 0; i < sa.length; i++) {
    const ux = sa[i] / n
    const uy = sb[i] / n
    const vx = covNorm * (saa[i] / n - ux * ux)
    const vy = covNorm * (sbb[i] / n - uy * uy)
    const vxy = covNorm * (sab[i] / n - ux * uy)
    total += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
  }
  return total / sa.length
}
