/**
 * `cxr-lens pacs pull` and the app's "Retrieve selected": which studies (by UID, or every CR/DX
 * study in a date range), which of their series (CR and DX only: the PACS's SRs, presentation states
 * and secondary captures, CXR Lens's own among them, are not images to read), then WADO-RS retrieve
 * into cases through the one import pipeline, then the study's results already in the PACS
 * (studyResults.ts).
 */
import { defaultModelInputs } from '../cases/defaultModelInputs'
import { runImport } from '../cases/importPipeline'
import { DataFolder } from '../config/dataFolder'
import type { ImportHooks } from '../cases/importSource'
import type { PacsPullSummary } from '../../shared/pacs'
import type { CaseStore } from '../store/caseStore'
import { allStrings, firstNumber, firstString, TAGS, type DicomJsonObject } from './dicomJson'
import { isUid, type DicomwebClient } from './dicomwebClient'
import { PacsError, PacsNotFoundError } from './pacsErrors'
import { PacsStudySource, type PlannedStudy } from './pacsStudySource'
import { afterStudyPulled } from './studyResults'

/** The modalities pulled: chest radiographs. */
export const PULL_MODALITIES: readonly string[] = ['CR', 'DX']
/** A date range matching more studies than this is refused: narrow it (a pull is not a PACS migration). */
export const MAX_PULL_STUDIES = 5000
const PAGE = 100

export interface PullSelection {
  studies?: string[]
  /** YYYYMMDD */
  since?: string
  until?: string
}

/** Every CR/DX study in the date range, page by page (QIDO-RS limit/offset). */
async function studiesInRange(client: DicomwebClient, since: string | undefined, until: string | undefined): Promise<string[]> {
  const found: string[] = []
  for (let offset = 0; ; offset += PAGE) {
    const page = await client.searchStudies({ since, until, limit: PAGE, offset })
    for (const study of page) {
      // A PACS that does not fill ModalitiesInStudy gives no reason to leave a study out; its series are checked next anyway.
      if (study.modalities.length === 0 || study.modalities.some((m) => PULL_MODALITIES.includes(m))) found.push(study.studyInstanceUid)
    }
    if (found.length > MAX_PULL_STUDIES)
      throw new Error(`More than ${MAX_PULL_STUDIES} CR/DX studies match the dates given; pull a shorter range (--since/--until)`)
    if (page.length < PAGE) return found
  }
}

/**
 * The studies to pull with their CR/DX series. A down PACS or refused credentials stop here, with
 * nothing written; a study that is not there (404) or answers badly is one failed entry.
 */
export async function planPull(client: DicomwebClient, selection: PullSelection): Promise<{ plan: PlannedStudy[]; notes: string[] }> {
  const uids = selection.studies?.length ? selection.studies : await studiesInRange(client, selection.since, selection.until)
  const plan: PlannedStudy[] = []
  const notes: string[] = []
  for (const studyUid of new Set(uids)) {
    if (!isUid(studyUid)) throw new Error(`"${studyUid.slice(0, 80)}" is not a StudyInstanceUID (digits and dots, at most 64)`)
    try {
      const series = (await client.searchSeries(studyUid)) as DicomJsonObject[]
      if (series.length === 0) throw new PacsNotFoundError(client.name, `QIDO-RS GET /studies/${studyUid}/series`, 'no such study')
      const wanted = series.filter((s) => PULL_MODALITIES.includes(firstString(s, TAGS.Modality) ?? ''))
      const others = [...new Set(series.filter((s) => !wanted.includes(s)).flatMap((s) => allStrings(s, TAGS.Modality)))]
      if (wanted.length === 0) {
        notes.push(`study ${studyUid}: no CR or DX series${others.length ? ` (only ${others.join(', ')})` : ''}; nothing pulled`)
        continue
      }
      const counts = wanted.map((s) => firstNumber(s, TAGS.NumberOfSeriesRelatedInstances))
      plan.push({
        studyUid,
        series: wanted.map((s) => firstString(s, TAGS.SeriesInstanceUID)).filter((u): u is string => !!u && isUid(u)),
        instances: counts.every((n) => n !== null) ? counts.reduce<number>((a, n) => a + n!, 0) : null,
      })
    } catch (error) {
      if (!(error instanceof PacsError) || error.code === 'unreachable' || error.code === 'unauthorized') throw error
      plan.push({ studyUid, error })
    }
  }
  return { plan, notes }
}

/**
 * Pulls the studies into cases. Per-instance and per-study failures are in `failed` (the CLI's exit
 * 3, as for an import); a pull that got nothing because the PACS is down or refused the credentials
 * throws that named error. Cancel (hooks.signal) stops the download and keeps what committed.
 */
export async function pullStudies(
  store: CaseStore,
  dataDir: string,
  client: DicomwebClient,
  selection: PullSelection,
  hooks: ImportHooks = {},
): Promise<PacsPullSummary> {
  // Ends every retrieve still open when the pull ends, however it ends (cancel, a failed commit).
  const stop = new AbortController()
  const onAbort = () => stop.abort()
  hooks.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const { plan, notes } = await planPull(client, selection)
    const failures = plan.filter((p): p is Extract<PlannedStudy, { error: PacsError }> => 'error' in p)
    if (plan.length > 0 && failures.length === plan.length && plan.length === (selection.studies?.length ?? -1)) throw failures[0].error
    const source = new PacsStudySource(dataDir, client, plan, stop.signal, notes)
    // As a folder import does: keep the default model's input, so background analysis need not decode the image again.
    source.modelInputs = defaultModelInputs(store, new DataFolder(dataDir))
    const summary = await runImport(store, source, hooks)
    if (source.fatal && summary.imported + summary.duplicates === 0) throw source.fatal
    const actor = hooks.actor ?? 'system'
    // Other workstations' boxes for these studies (CXR Lens SRs in the PACS), once every case is committed.
    const fromPacs = { srs: 0, boxes: 0, readersAdded: [] as string[] }
    for (const [n, studyUid] of [...source.pulled].entries()) {
      let results: Awaited<ReturnType<typeof afterStudyPulled>>
      try {
        results = await afterStudyPulled(studyUid, client, store, { dataDir, signal: hooks.signal, actor })
      } catch (error) {
        hooks.signal?.throwIfAborted()
        // The images are in; a PACS that cannot list or send the study's SRs costs only the other readers' boxes.
        summary.warnings.push(`study ${n + 1}: other workstations' boxes could not be read from the PACS (${(error as Error).message})`)
        continue
      }
      fromPacs.srs += results.imported
      fromPacs.boxes += results.boxes
      fromPacs.readersAdded.push(...results.readersAdded)
      summary.warnings.push(...results.skipped)
    }
    return { ...summary, pacs: client.name, studies: plan.length, readerBoxes: fromPacs }
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort)
    stop.abort()
  }
}
