import sharp from 'sharp'
import { methodFacts, type ExplainMethod } from '../../shared/explainMethods'
import type { Box } from '../../shared/domain'
import type { PacsPushedCase } from '../../shared/pacsPush'
import { openOriginalUids, type OriginalUids } from '../dicom/originalUids'
import { Pseudonymizer } from '../dicom/pseudonyms'
import { NotFoundError } from '../errors/domainErrors'
import { renderOverlay } from '../explain/heatmapRender'
import { code, numeric } from '../interchange/srContent'
import { boxGroups, derivedUid, deviceObserver, findingCode, measurementReport, type SrGroup } from '../interchange/srExport'
import type { CaseRecord } from '../store/caseRepository'
import type { CaseStore } from '../store/caseStore'
import type { StoredHeatmap } from '../store/resultRepository'
import { jsonText, patientStudyModules } from './studyModules'
import { thresholdedRegions } from './modelRegions'
import type { DicomJson, PacsResultsTransport } from './resultsTransport'
import { secondaryCapture } from './secondaryCapture'

/** Series numbers of what CXR Lens files into a study: high, so they sort after the acquisition's. */
export const SR_SERIES_NUMBER = '9901'
export const SC_SERIES_NUMBER = '9902'
const DX_FOR_PRESENTATION = '1.2.840.10008.5.1.4.1.1.1.1'
/** As the viewer draws it by default (renderer analysisStore: Hot, 60% opacity, transparent below 30%). */
const VIEWER_OVERLAY = { colormap: 'hot', opacity: 0.6, threshold: 0.3 } as const
const PROBABILITY = code('CXRP01', '99CXRLENS', 'Model probability')
const NO_UNITS = code('1', 'UCUM', 'no units')

export interface PushDeps {
  store: CaseStore
  dataDir: string
  transport: PacsResultsTransport
  /** the configured connection's name (audit, messages) */
  pacsName: string
  /** who sends: the reader's name (app) or `cli` */
  actor: string
  readerId?: number | null
}

export interface PushOptions {
  /** the model whose map is sent as the Secondary Capture (the default model); null: no map */
  model: { id: string; version: string } | null
  method?: ExplainMethod
  /** also put the model's thresholded regions in the SR, the model as device observer, its probability as a measurement */
  withModel?: boolean
}

export type PushedCase = PacsPushedCase

export interface PushSummary {
  pushed: PushedCase[]
  failed: Array<{ caseId: number; image: string | null; error: string }>
}

export class PushError extends Error {}

/** The instance of the case's image in the PACS's fresh metadata (attributes are copied from it). */
function originalInstance(metadata: DicomJson[], uids: OriginalUids, caseId: number, pacs: string): DicomJson {
  if (metadata.length === 0) throw new PushError(`The PACS ${pacs} has no study for case ${caseId} (deleted or moved there?)`)
  const instance = metadata.find((i) => jsonText(i, '00080018') === uids.sop)
  if (!instance) throw new PushError(`The PACS ${pacs} still has case ${caseId}'s study but no longer its image; nothing was sent`)
  return instance
}

/** The map the reader sees by default: the finding most of the reader boxes are on, else the model's most probable. */
function shownMap(store: CaseStore, record: CaseRecord, boxes: Box[], options: PushOptions): StoredHeatmap | null {
  if (!options.model) return null
  const { id, version } = options.model
  const method = options.method ?? 'gradcam'
  const counts = new Map<string, number>()
  for (const b of boxes) counts.set(b.finding, (counts.get(b.finding) ?? 0) + 1)
  const byBoxes = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([f]) => f)
  const byModel = store.results.predictions(record.id, id, version).map((p) => p.finding)
  for (const finding of [...byBoxes, ...byModel]) {
    const map = store.results.heatmap(record.id, id, version, finding, method)
    if (map) return map
  }
  return null
}

async function overlayRgb(record: CaseRecord, map: StoredHeatmap): Promise<{ rgb: Uint8Array; width: number; height: number }> {
  const png = await renderOverlay({
    image: record.path,
    map: map.data,
    mapHeight: map.height,
    mapWidth: map.width,
    normalize: methodFacts(map.method).signed ? 'positive' : 'minmax',
    ...VIEWER_OVERLAY,
  })
  const { data, info } = await sharp(png).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })
  if (info.channels !== 3) throw new Error(`the overlay of case ${record.id} rendered with ${info.channels} channels, not RGB`)
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height }
}

function modelGroups(store: CaseStore, record: CaseRecord, map: StoredHeatmap): SrGroup[] {
  const probability = store.results.predictions(record.id, map.modelId, map.modelVersion).find((p) => p.finding === map.finding)
  const observer = deviceObserver(`${map.modelId} ${map.modelVersion}`.slice(0, 1024), [map.modelId, map.modelVersion])
  const label = methodFacts(map.method).label
  return thresholdedRegions(map, record).map((box, i) => ({
    ...observer,
    trackingId: `${map.finding} ${label} region ${i + 1}`,
    trackingUid: derivedUid('region', String(map.id), String(i)),
    finding: map.finding,
    box,
    extra: probability ? [numeric('CONTAINS', PROBABILITY, probability.probability, NO_UNITS)] : [],
  }))
}

/**
 * Sends one case's results into the patient's original study: the TID 1500 SR of the boxes drawn on
 * this workstation (and, with `withModel`, the model's thresholded regions) and the heatmap the reader
 * sees as a Secondary Capture. The Patient and Study modules come from a metadata request made now;
 * the store holds pseudonyms only. Both objects go in one STOW-RS request and are looked up again
 * afterwards (a server may answer a refusal with 200 or 202), so "sent" means the PACS has them.
 */
export async function pushCase(deps: PushDeps, caseId: number, options: PushOptions): Promise<PushedCase> {
  const { store, transport, pacsName } = deps
  const record = store.cases.get(caseId)
  if (!record) throw new NotFoundError(`Case ${caseId}`)
  const uids = openOriginalUids(store, deps.dataDir, caseId)
  let metadata: DicomJson[]
  try {
    metadata = await transport.studyMetadata(uids.study)
  } catch (error) {
    throw new PushError(`The PACS ${pacsName} did not give the study of case ${caseId} (${(error as Error).message}); nothing was sent`)
  }
  const instance = originalInstance(metadata, uids, caseId, pacsName)
  const patientStudy = patientStudyModules(instance)
  const ref = { sopClassUid: jsonText(instance, '00080016') ?? uids.sopClass ?? DX_FOR_PRESENTATION, sopInstanceUid: uids.sop }
  const pulled = store.srImports.pulledBoxIds(caseId)
  const boxes = store.annotations.boxes(caseId).filter((b) => b.source === 'reader' && !pulled.has(b.id))
  const notes: string[] = []
  const map = shownMap(store, record, boxes, options)
  if (options.model && !map)
    notes.push(
      `no ${methodFacts(options.method ?? 'gradcam').label} map of ${options.model.id} is stored for this case yet; no heatmap sent`,
    )
  const regions = options.withModel && map ? modelGroups(store, record, map) : []
  const groups = [...boxGroups(store, record, boxes), ...regions]
  if (groups.length === 0 && !map)
    throw new PushError(`Case ${caseId} has nothing to send: no reader boxes drawn here and no stored heatmap`)
  const at = new Date().toISOString()
  const instances: Uint8Array[] = []
  let sr: string | null = null
  if (groups.length) {
    const fingerprint = JSON.stringify(groups.map((g) => [g.observerKey, g.finding, g.box.x, g.box.y, g.box.w, g.box.h]))
    // The same content sent twice is the same SOP instance: a resend does not file a second copy.
    sr = derivedUid('push-sr', uids.sop, fingerprint)
    instances.push(
      measurementReport(groups, {
        studyUid: uids.study,
        seriesUid: derivedUid('push-sr-series', uids.sop, record.imageName, String(record.id)),
        sopInstanceUid: sr,
        ref,
        refSeriesUid: uids.series,
        patientStudy,
        seriesNumber: SR_SERIES_NUMBER,
        seriesDescription: regions.length ? 'CXR Lens reader boxes and AI regions' : 'CXR Lens reader boxes',
        at,
      }),
    )
  } else notes.push('no reader boxes drawn here; no SR sent')
  let sc: string | null = null
  if (map) {
    const { rgb, width, height } = await overlayRgb(record, map)
    const label = methodFacts(map.method).label
    sc = derivedUid('push-sc', uids.sop, String(map.id))
    instances.push(
      secondaryCapture(rgb, width, height, {
        studyUid: uids.study,
        seriesUid: derivedUid('push-sc-series', uids.sop, record.imageName, String(record.id)),
        sopInstanceUid: sc,
        source: ref,
        patientStudy,
        seriesNumber: SC_SERIES_NUMBER,
        seriesDescription: `CXR Lens ${label} (AI, not for diagnosis)`.slice(0, 64),
        derivation:
          `${label} heatmap of model ${map.modelId} ${map.modelVersion} for ${map.finding} (${findingCode(map.finding).value}), ` +
          `Hot colour map over the source image, transparent below 30% of the map's range; AI output, not for diagnosis`,
        at,
      }),
    )
  }
  try {
    await transport.store(uids.study, instances)
  } catch (error) {
    throw new PushError(`The PACS ${pacsName} refused the results of case ${caseId}: ${(error as Error).message}`)
  }
  for (const [what, uid] of [
    ['SR', sr],
    ['Secondary Capture', sc],
  ] as const) {
    if (!uid) continue
    const found = await transport.searchInstances(uids.study, { SOPInstanceUID: uid })
    if (!found.some((i) => jsonText(i, '00080018') === uid))
      throw new PushError(`The PACS ${pacsName} accepted the request but does not hold the ${what} of case ${caseId}; it was refused there`)
  }
  const pseudonyms = new Pseudonymizer(deps.dataDir)
  try {
    store.transaction(() => {
      // Remembered, so pulling this study back here does not import this workstation's own boxes again.
      if (sr) store.srImports.record(pseudonyms.srKey(sr), 'pushed', caseId, groups.length, at)
      // No UIDs in the audit: what was sent, where, by whom.
      store.audit.append(
        deps.actor,
        'pacs.push',
        caseId,
        { pacs: pacsName, sr: sr !== null, sc: sc !== null, boxes: boxes.length, regions: regions.length },
        at,
        deps.readerId ?? null,
      )
    })
  } finally {
    pseudonyms.close()
  }
  return { caseId, image: record.imageName, sr, sc, boxes: boxes.length, regions: regions.length, notes }
}

/** Each case on its own: one that cannot be sent is listed with its reason and the rest go on. */
export async function pushCases(deps: PushDeps, caseIds: number[], options: PushOptions): Promise<PushSummary> {
  const summary: PushSummary = { pushed: [], failed: [] }
  for (const caseId of caseIds) {
    try {
      summary.pushed.push(await pushCase(deps, caseId, options))
    } catch (error) {
      summary.failed.push({ caseId, image: deps.store.cases.get(caseId)?.imageName ?? null, error: (error as Error).message })
    }
  }
  return summary
}
