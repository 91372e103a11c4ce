import { clipBoxToPixel } from '../../shared/boxClip'
import { hasReaderBox } from '../cases/nihBoxes'
import { DataFolder } from '../config/dataFolder'
import { Pseudonymizer } from '../dicom/pseudonyms'
import { readMeasurementReport, SrImportError, type SrBox } from '../interchange/srImport'
import { ENHANCED_SR, SR_MANUFACTURER } from '../interchange/srExport'
import type { Reader } from '../../shared/domain'
import type { CaseStore } from '../store/caseStore'
import { jsonText } from './studyModules'
import type { PacsResultsTransport } from './resultsTransport'

export interface StudyResultsSummary {
  /** CXR Lens SRs the PACS holds for the study */
  found: number
  /** of those, imported now (the rest were here already: pushed from here or pulled before) */
  imported: number
  boxes: number
  /** readers made for observers this data folder did not know (no secret: they cannot log in) */
  readersAdded: string[]
  /** SRs and groups not imported, with the reason */
  skipped: string[]
}

type Transport = Pick<PacsResultsTransport, 'searchInstances' | 'retrieveInstance'>

/**
 * After a study was pulled: the CXR Lens SRs the PACS already holds for it (other workstations'
 * pushes) are imported as those readers' boxes, so this workstation sees them and the dashboard's
 * inter-reader agreement spans workstations.
 *
 * - A box lands on the case whose image name is the pseudonym of the SR's referenced SOP Instance UID
 *   (dicom/pseudonyms.ts), so nothing original is stored; an SR about an image not imported here is skipped.
 * - The person observer is matched to a reader of this data folder by name (case-insensitive, as at
 *   login); an unknown name becomes a radiologist without a secret: attribution only, that account
 *   cannot log in until an administrator sets a secret. AI regions (device observers) are not reader
 *   boxes and are left out.
 * - Each SR is remembered by a keyed hash of its SOP Instance UID, and one this workstation pushed is
 *   recorded at push time: re-pulling never duplicates; each SR commits in one transaction with its audit row.
 */
export async function afterStudyPulled(
  studyUid: string,
  client: Transport,
  store: CaseStore,
  options: { dataDir?: string; signal?: AbortSignal; actor?: string } = {},
): Promise<StudyResultsSummary> {
  const dataDir = options.dataDir ?? DataFolder.ofDatabase(store.path).root
  const summary: StudyResultsSummary = { found: 0, imported: 0, boxes: 0, readersAdded: [], skipped: [] }
  const listed = await client.searchInstances(studyUid, { Modality: 'SR' })
  // A server may ignore a matching key it does not support: check what came back.
  const srs = listed.filter((i) => (jsonText(i, '00080060') ?? 'SR') === 'SR' && (jsonText(i, '00080016') ?? ENHANCED_SR) === ENHANCED_SR)
  const pseudonyms = new Pseudonymizer(dataDir)
  try {
    for (const [n, instance] of srs.entries()) {
      options.signal?.throwIfAborted()
      const sop = jsonText(instance, '00080018')
      const series = jsonText(instance, '0020000E')
      const name = `SR ${n + 1} of the study`
      if (!sop || !series) {
        summary.skipped.push(`${name}: the PACS listed it without its series or SOP Instance UID`)
        continue
      }
      const key = pseudonyms.srKey(sop)
      if (store.srImports.has(key)) {
        summary.found++
        continue
      }
      let report
      try {
        report = readMeasurementReport(await client.retrieveInstance(studyUid, series, sop, options.signal), name)
      } catch (error) {
        if (error instanceof SrImportError) {
          summary.skipped.push(error.message)
          continue
        }
        throw error
      }
      if (report.manufacturer !== SR_MANUFACTURER) continue // another system's SR: not ours to read
      summary.found++
      summary.skipped.push(...report.refused)
      const added = importReport(store, key, report.boxes, pseudonyms, name, summary, options.actor ?? 'pacs')
      if (added !== null) {
        summary.imported++
        summary.boxes += added
      }
    }
  } finally {
    pseudonyms.close()
  }
  return summary
}

/** One SR's reader boxes, its key and its audit row in one transaction; the boxes added, or null when another process had it. */
function importReport(
  store: CaseStore,
  key: string,
  boxes: SrBox[],
  pseudonyms: Pseudonymizer,
  name: string,
  summary: StudyResultsSummary,
  actor: string,
): number | null {
  return store.transaction(() => {
    if (store.srImports.has(key)) return null
    const at = new Date().toISOString()
    const readers = new Map(store.readers.list().map((r) => [r.name.toLowerCase(), r]))
    const pending: Array<{ caseId: number; reader: Reader; box: SrBox }> = []
    let firstCase: number | null = null
    let made = 0
    for (const box of boxes) {
      if (box.observer?.kind !== 'person') continue
      const [record] = store.cases.findByImageName(pseudonyms.image(box.imageSopUid, ''))
      if (!record) {
        summary.skipped.push(`${name}: a box on an image that is not imported here`)
        continue
      }
      const observer = box.observer.name.trim().slice(0, 80)
      if (!observer) continue
      let reader = readers.get(observer.toLowerCase())
      if (!reader) {
        reader = store.readers.create(observer, 'radiologist', { at })
        readers.set(observer.toLowerCase(), reader)
        summary.readersAdded.push(reader.name)
        made++
      }
      firstCase ??= record.id
      pending.push({ caseId: record.id, reader, box: { ...box, ...clipBoxToPixel(box, record.width, record.height) } })
    }
    store.srImports.record(key, 'pulled', firstCase, pending.length, at)
    let added = 0
    for (const { caseId, reader, box } of pending) {
      if (hasReaderBox(store, caseId, reader.id, box.finding, box)) continue
      const id = store.annotations.addBox({
        caseId,
        finding: box.finding,
        x: box.x,
        y: box.y,
        w: box.w,
        h: box.h,
        source: 'reader',
        author: reader.name,
        readerId: reader.id,
        at,
      })
      if (id === null) continue
      store.srImports.markPulledBox(id, key)
      added++
    }
    // Counts only: no UIDs, no names of patients.
    store.audit.append(actor, 'pacs.sr.import', firstCase, { boxes: added, readersAdded: made }, at)
    return added
  })
}
