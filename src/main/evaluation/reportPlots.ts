/**
 * The reports' plots as inline SVG with what a reader needs to read one off the page: axes, ticks,
 * tick labels, axis labels and a legend. Text is real SVG text, so a PDF keeps it as text.
 */
import { esc } from './reportFrame'

const TICKS = [0, 0.25, 0.5, 0.75, 1]
// Okabe–Ito: distinguishable by colour-blind readers, as the viewer's box colours
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000']

interface Frame {
  width: number
  height: number
  left: number
  top: number
  plot: number
}

const frameOf = (plot: number, legendRows: number): Frame => ({
  plot,
  left: 44,
  top: 8,
  width: plot + 56,
  height: plot + 44 + legendRows * 14,
})
const px = (f: Frame, x: number) => f.left + x * f.plot
const py = (f: Frame, y: number) => f.top + (1 - y) * f.plot

/** The unit square's axes, ticks at 0, 0.25 … 1 with labels, and the two axis titles. */
function axes(f: Frame, xLabel: string, yLabel: string): string {
  const parts = [`<rect x="${f.left}" y="${f.top}" width="${f.plot}" height="${f.plot}" fill="#fafafa" stroke="#999"/>`]
  for (const t of TICKS) {
    const x = px(f, t).toFixed(1)
    const y = py(f, t).toFixed(1)
    const bottom = f.top + f.plot
    parts.push(
      `<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 4}" stroke="#333"/><text x="${x}" y="${bottom + 14}" font-size="9" text-anchor="middle">${t}</text>`,
      `<line x1="${f.left - 4}" y1="${y}" x2="${f.left}" y2="${y}" stroke="#333"/><text x="${f.left - 6}" y="${(py(f, t) + 3).toFixed(1)}" font-size="9" text-anchor="end">${t}</text>`,
    )
  }
  const midY = f.top + f.plot / 2
  parts.push(
    `<text x="${f.left + f.plot / 2}" y="${f.top + f.plot + 27}" font-size="10" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="12" y="${midY}" font-size="10" text-anchor="middle" transform="rotate(-90 12 ${midY})">${esc(yLabel)}</text>`,
  )
  return parts.join('')
}

function legend(f: Frame, items: Array<{ label: string; colour: string; dashed?: boolean; dot?: boolean }>): string {
  const y0 = f.top + f.plot + 40
  return items
    .map((item, i) => {
      const y = y0 + i * 14
      const mark = item.dot
        ? `<circle cx="${f.left + 8}" cy="${y - 3}" r="3" fill="${item.colour}"/>`
        : `<line x1="${f.left}" y1="${y - 3}" x2="${f.left + 16}" y2="${y - 3}" stroke="${item.colour}" stroke-width="2"${item.dashed ? ' stroke-dasharray="4"' : ''}/>`
      return `${mark}<text x="${f.left + 22}" y="${y}" font-size="9">${esc(item.label)}</text>`
    })
    .join('')
}

/** One finding's ROC curve (false positive rate, true positive rate) with the chance diagonal. */
export function rocSvg(points: Array<[number, number]>, title: string, size = 150): string {
  const f = frameOf(size, 2)
  const path = points.map(([x, y]) => `${px(f, x).toFixed(1)},${py(f, y).toFixed(1)}`).join(' ')
  return (
    `<figure><svg width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="ROC ${esc(title)}">` +
    axes(f, 'false positive rate (1 − specificity)', 'true positive rate') +
    `<line x1="${px(f, 0)}" y1="${py(f, 0)}" x2="${px(f, 1)}" y2="${py(f, 1)}" stroke="#999" stroke-dasharray="4"/>` +
    `<polyline points="${path}" fill="none" stroke="${PALETTE[0]}" stroke-width="2"/>` +
    legend(f, [
      { label: 'model', colour: PALETTE[0] },
      { label: 'chance (AUROC 0.5)', colour: '#999', dashed: true },
    ]) +
    `</svg><figcaption>${esc(title)}</figcaption></figure>`
  )
}

export interface ScatterPoint {
  x: number
  y: number
  series: string
  title: string
}

/** Points in the unit square, one colour per series (findings), with a legend. */
export function scatterSvg(points: ScatterPoint[], xLabel: string, yLabel: string, caption: string, size = 300): string {
  const series = [...new Set(points.map((p) => p.series))].sort()
  const colour = (s: string) => PALETTE[series.indexOf(s) % PALETTE.length]
  const f = frameOf(size, Math.max(1, series.length))
  const dots = points
    .map(
      (p) =>
        `<circle cx="${px(f, p.x).toFixed(1)}" cy="${py(f, p.y).toFixed(1)}" r="3" fill="${colour(p.series)}" opacity="0.75"><title>${esc(p.title)}</title></circle>`,
    )
    .join('')
  const items = series.length
    ? series.map((s) => ({ label: s, colour: colour(s), dot: true }))
    : [{ label: 'no points', colour: '#999', dot: true }]
  return (
    `<figure><svg width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="${esc(caption)}">` +
    axes(f, xLabel, yLabel) +
    dots +
    legend(f, items) +
    `</svg><figcaption>${esc(caption)}</figcaption></figure>`
  )
}
