/**
 * Global explanations: which image regions drive each finding across a set of cases, as the mean
 * |attribution| per region (Lundberg & Lee's global SHAP summary), from maps already stored per case.
 */
export interface RegionMap {
  caseId: number
  finding: string
  height: number
  width: number
  data: ArrayLike<number>
}

export interface GlobalFinding {
  finding: string
  cases: number
  height: number
  width: number
  /** mean over cases of |value| per region, row-major */
  meanAbs: number[]
  /** mean over cases of Σ|value|: the finding's overall attribution mass */
  meanTotal: number
}

export function aggregateGlobal(maps: Iterable<RegionMap>): GlobalFinding[] {
  const byFinding = new Map<string, { height: number; width: number; sum: Float64Array; cases: Set<number>; total: number }>()
  for (const map of maps) {
    let entry = byFinding.get(map.finding)
    if (!entry) {
      entry = { height: map.height, width: map.width, sum: new Float64Array(map.height * map.width), cases: new Set(), total: 0 }
      byFinding.set(map.finding, entry)
    }
    if (map.height !== entry.height || map.width !== entry.width) {
      throw new Error(
        `${map.finding}: maps of ${entry.height}×${entry.width} and ${map.height}×${map.width} cannot be averaged; use one grid`,
      )
    }
    if (entry.cases.has(map.caseId)) continue // one map per case and finding
    entry.cases.add(map.caseId)
    for (let i = 0; i < entry.sum.length; i++) {
      const v = Math.abs(map.data[i])
      entry.sum[i] += v
      entry.total += v
    }
  }
  return [...byFinding.entries()]
    .map(([finding, e]) => ({
      finding,
      cases: e.cases.size,
      height: e.height,
      width: e.width,
      meanAbs: Array.from(e.sum, (v) => v / e.cases.size),
      meanTotal: e.total / e.cases.size,
    }))
    .sort((a, b) => b.meanTotal - a.meanTotal)
}

const escape = (text: string) => text.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`)

/**
 * The summary plot as SVG (opens in any browser, prints crisply): one panel per finding, ordered by
 * attribution mass, each region shaded by its mean |attribution| on a shared scale, with a bar for
 * the finding's total.
 */
export function globalSummarySvg(findings: GlobalFinding[], title: string, colour: (t: number) => [number, number, number]): string {
  const panel = 150
  const columns = 5
  const rows = Math.ceil(findings.length / columns)
  const max = Math.max(1e-12, ...findings.flatMap((f) => f.meanAbs))
  const maxTotal = Math.max(1e-12, ...findings.map((f) => f.meanTotal))
  const parts: string[] = []
  findings.forEach((f, index) => {
    const x0 = 10 + (index % columns) * (panel + 20)
    const y0 = 50 + Math.floor(index / columns) * (panel + 60)
    const cell = panel / Math.max(f.width, f.height)
    parts.push(`<text x="${x0}" y="${y0 - 8}" font-size="13" font-family="sans-serif">${escape(f.finding)} (n=${f.cases})</text>`)
    f.meanAbs.forEach((v, i) => {
      const [r, g, b] = colour(v / max)
      parts.push(
        `<rect x="${(x0 + (i % f.width) * cell).toFixed(1)}" y="${(y0 + Math.floor(i / f.width) * cell).toFixed(1)}" width="${cell.toFixed(1)}" height="${cell.toFixed(1)}" fill="rgb(${r},${g},${b})"/>`,
      )
    })
    parts.push(`<rect x="${x0}" y="${y0 + panel + 8}" width="${((panel * f.meanTotal) / maxTotal).toFixed(1)}" height="8" fill="#555"/>`)
    parts.push(
      `<text x="${x0}" y="${y0 + panel + 30}" font-size="11" font-family="sans-serif">mean Σ|φ| ${f.meanTotal.toPrecision(3)}</text>`,
    )
  })
  const width = 20 + columns * (panel + 20)
  const height = 60 + rows * (panel + 60)
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<rect width="100%" height="100%" fill="white"/><text x="10" y="24" font-size="16" font-family="sans-serif">${escape(title)}</text>${parts.join('')}</svg>`
  )
}
