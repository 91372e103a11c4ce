import dicomParser from 'dicom-parser'
import { ENHANCED_SR } from './srExport'

/**
 * Reads back the TID 1500 Measurement Reports CXR Lens writes (srExport.ts, pacs/pushResults.ts):
 * each Measurement Group's observer (person name and role, or device name), finding, box and the
 * SOP Instance UID of the image it was drawn on. Other SR content is ignored; a file that is not an
 * SR, or whose tree is not what CXR Lens writes, is refused with a reason, never a crash.
 */
export type SrObserver = { kind: 'person'; name: string; role: string | null } | { kind: 'device'; name: string }

export interface SrBox {
  observer: SrObserver | null
  finding: string
  x: number
  y: number
  w: number
  h: number
  /** SOP Instance UID of the image the region was SELECTED FROM */
  imageSopUid: string
}

export interface MeasurementReport {
  sopInstanceUid: string
  manufacturer: string | null
  boxes: SrBox[]
}

type Ds = dicomParser.DataSet

export class SrImportError extends Error {}

const items = (ds: Ds, tag: string): Ds[] => (ds.elements[tag]?.items ?? []).flatMap((i) => (i.dataSet ? [i.dataSet] : []))
const str = (ds: Ds, tag: string): string | null => ds.string(tag)?.trim() || null
/** The concept name of a content item: its code value and scheme. */
function concept(ds: Ds): { value: string | null; scheme: string | null } {
  const c = items(ds, 'x0040a043')[0]
  return { value: c ? str(c, 'x00080100') : null, scheme: c ? str(c, 'x00080102') : null }
}
const is = (ds: Ds, value: string, scheme = 'DCM') => {
  const c = concept(ds)
  return c.value === value && c.scheme === scheme
}
const children = (ds: Ds) => items(ds, 'x0040a730')
const codeOf = (ds: Ds) => items(ds, 'x0040a168')[0]

/** TID 1002 observer context among `nodes`, or null when they carry none. */
function observerOf(nodes: Ds[], inherited: SrObserver | null): SrObserver | null {
  const context = nodes.filter((n) => str(n, 'x0040a010') === 'HAS OBS CONTEXT')
  const type = context.find((n) => is(n, '121005'))
  if (!type) return inherited
  const kind = codeOf(type) ? str(codeOf(type), 'x00080100') : null
  if (kind === '121007') {
    const name = context.find((n) => is(n, '121013'))
    return { kind: 'device', name: (name && str(name, 'x0040a160')) ?? 'unknown device' }
  }
  const name = context.find((n) => is(n, '121008'))
  const role = context.find((n) => is(n, '121010'))
  const personName = name ? str(name, 'x0040a123') : null
  if (!personName) return null
  return { kind: 'person', name: personName.replace(/\^/g, ' ').trim(), role: role && codeOf(role) ? str(codeOf(role), 'x00080104') : null }
}

function groupBox(group: Ds, observer: SrObserver | null): SrBox | { refused: string } {
  const nodes = children(group)
  const own = observerOf(nodes, observer)
  const findingItem = nodes.find((n) => is(n, '121071'))
  const finding = findingItem && codeOf(findingItem) ? str(codeOf(findingItem), 'x00080104') : null
  const region = nodes.find((n) => is(n, '111030') && str(n, 'x0040a040') === 'SCOORD')
  if (!finding || !region) return { refused: 'a measurement group without a finding or an image region' }
  if (str(region, 'x00700023') !== 'POLYLINE') return { refused: 'an image region that is not a POLYLINE' }
  const data = region.elements.x00700022
  const count = data ? data.length / 4 : 0
  if (count !== 10) return { refused: `an image region with ${count / 2} points (a box has 5)` }
  const p = Array.from({ length: count }, (_, i) => region.float('x00700022', i)!)
  const xs = [p[0], p[2], p[4], p[6]]
  const ys = [p[1], p[3], p[5], p[7]]
  if (![...xs, ...ys].every(Number.isFinite)) return { refused: 'an image region with a coordinate that is not a number' }
  const x = Math.min(...xs)
  const y = Math.min(...ys)
  const w = Math.max(...xs) - x
  const h = Math.max(...ys) - y
  const image = children(region).find((n) => str(n, 'x0040a040') === 'IMAGE')
  const ref = image && items(image, 'x00081199')[0]
  const imageSopUid = ref ? str(ref, 'x00081155') : null
  if (!imageSopUid) return { refused: 'an image region without its referenced image' }
  if (!(w > 0 && h > 0)) return { refused: 'an empty image region' }
  return { observer: own, finding: finding.slice(0, 64), x, y, w, h, imageSopUid }
}

/** The boxes of a CXR Lens TID 1500 SR; `refused` lists groups that could not be read, by reason. */
export function readMeasurementReport(bytes: Uint8Array, name: string): MeasurementReport & { refused: string[] } {
  let ds: Ds
  try {
    ds = dicomParser.parseDicom(bytes)
  } catch (error) {
    const message = error instanceof Error ? error.message : String((error as { exception?: unknown })?.exception ?? error)
    throw new SrImportError(`${name}: not a readable DICOM file (${message})`)
  }
  if (str(ds, 'x00080016') !== ENHANCED_SR)
    throw new SrImportError(`${name}: not an Enhanced SR (SOP Class ${str(ds, 'x00080016') ?? 'missing'})`)
  const sopInstanceUid = str(ds, 'x00080018')
  if (!sopInstanceUid) throw new SrImportError(`${name}: has no SOP Instance UID`)
  if (!is(ds, '126000')) throw new SrImportError(`${name}: is not a TID 1500 Measurement Report`)
  const top = children(ds)
  const observer = observerOf(top, null)
  const measurements = top.find((n) => is(n, '126010'))
  const boxes: SrBox[] = []
  const refused: string[] = []
  for (const group of measurements ? children(measurements).filter((n) => is(n, '125007')) : []) {
    const box = groupBox(group, observer)
    if ('refused' in box) refused.push(`${name}: ${box.refused}`)
    else boxes.push(box)
  }
  return { sopInstanceUid, manufacturer: str(ds, 'x00080070'), boxes, refused }
}
