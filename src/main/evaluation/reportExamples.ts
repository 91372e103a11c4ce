/**
 * Example overlays for a report: per finding the case whose map agrees best with the radiologists'
 * boxes and the one that agrees worst (mask IoU; ties to the image name), so the choice is the same
 * on every run and shows both ends rather than a flattering few. Each example is a pair: the
 * radiograph with the radiologists' boxes, and beside it the heatmap over it with the same boxes.
 */
import sharp from 'sharp'
import { renderOverlay, type OverlayBox } from '../explain/heatmapRender'
import { esc, fmt } from './reportFrame'

export interface ExampleCandidate {
  image: string
  finding: string
  iou: number
  /** a path or the image's bytes */
  source: string | Uint8Array
  map: ArrayLike<number>
  mapWidth: number
  mapHeight: number
  /** boxes as fractions of the image */
  boxes: Array<{ x: number; y: number; w: number; h: number }>
}

/** At most `perFinding` (best, worst) per finding, findings in the given order, at most `limit` in all. */
export function pickExamples<T extends { image: string; finding: string; iou: number }>(
  candidates: T[],
  findings: readonly string[],
  limit = 8,
): Array<T & { rank: 'best' | 'worst' }> {
  const picked: Array<T & { rank: 'best' | 'worst' }> = []
  for (const finding of findings) {
    const of = candidates
      .filter((c) => c.finding === finding && Number.isFinite(c.iou))
      .sort((a, b) => b.iou - a.iou || a.image.localeCompare(b.image))
    if (!of.length) continue
    picked.push({ ...of[0], rank: 'best' })
    if (of.length > 1) picked.push({ ...of[of.length - 1], rank: 'worst' })
    if (picked.length >= limit) break
  }
  return picked.slice(0, limit)
}

const THUMB = 230

async function thumbnail(png: Uint8Array): Promise<string> {
  const small = await sharp(png).resize({ width: THUMB, height: THUMB, fit: 'fill' }).png().toBuffer()
  return `data:image/png;base64,${small.toString('base64')}`
}

/** The examples section: PNG data URIs, one figure per pair. */
export async function examplesSection(examples: Array<ExampleCandidate & { rank: 'best' | 'worst' }>, method: string): Promise<string> {
  if (!examples.length) return '<h2>Examples</h2><p>No case has both a heatmap and radiologist boxes.</p>'
  const figures: string[] = []
  for (const e of examples) {
    const meta = await sharp(e.source).metadata()
    const w = meta.width ?? 1
    const h = meta.height ?? 1
    const boxes: OverlayBox[] = e.boxes.map((b) => ({ x: b.x * w, y: b.y * h, w: b.w * w, h: b.h * h }))
    const common = { image: e.source, map: e.map, mapHeight: e.mapHeight, mapWidth: e.mapWidth, boxes }
    const [plain, overlay] = await Promise.all([renderOverlay({ ...common, opacity: 0 }), renderOverlay({ ...common, threshold: 0.3 })])
    const label = `${esc(e.image)} · ${esc(e.finding)}`
    figures.push(
      `<figure class="example" data-example="${esc(e.rank)}"><div class="pair"><img alt="${label}: radiologist boxes" src="${await thumbnail(plain)}">` +
        `<img alt="${label}: ${esc(method)} heatmap" src="${await thumbnail(overlay)}"></div>` +
        `<figcaption>${label} (${e.rank} IoU of this finding, ${fmt(e.iou, 2)}): radiologist boxes (yellow), then the heatmap with the same boxes</figcaption></figure>`,
    )
  }
  return (
    `<h2>Examples: heatmaps beside the radiologists' boxes</h2><p class="legend">Per finding the case of best and of worst mask IoU with the boxes ` +
    `(${esc(method)}, jet colour map, transparent below 30% of the map's range; boxes in yellow).</p>${figures.join('')}`
  )
}
