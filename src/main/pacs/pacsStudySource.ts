import type { ImportItem, ImportTally } from '../cases/importSource'
import { DicomSource } from '../dicom/dicomSource'
import type { DicomwebClient } from './dicomwebClient'
import { partsOf } from './partQueue'
import { PacsError } from './pacsErrors'

/** One study to pull: the series to retrieve (CR/DX), or why it cannot be. */
export type PlannedStudy = { studyUid: string; series: string[]; instances: number | null } | { studyUid: string; error: PacsError }

export interface PacsItemMeta {
  studyUid: string
}

/**
 * The instances WADO-RS sends, as an import source: the parts received go through the same decode,
 * de-identification (the same patient gets the same pseudonym as from a DICOM folder) and commits as
 * a folder's files, so a re-pull finds every instance stored already (`transfer-syntax=*`: the bytes
 * as the PACS keeps them). A study that cannot be retrieved (404, cut off, a non-DICOM part) is one
 * entry in `failed` and the rest goes on; a PACS that is down or refuses the credentials stops the
 * studies after it (`fatal`), since each would fail the same way.
 */
export class PacsStudySource extends DicomSource<PacsItemMeta> {
  /** the error that stopped the pull early, if one did */
  fatal: PacsError | null = null
  /** studies that gave at least one instance */
  readonly pulled = new Set<string>()

  constructor(
    dataDir: string,
    private readonly client: DicomwebClient,
    private readonly plan: PlannedStudy[],
    /** aborted by the pull when it ends for any reason: releases a retrieve still waiting */
    private readonly stop: AbortSignal,
    /** what planning found worth saying (studies without CR/DX series), added to the summary's warnings */
    private readonly notes: string[] = [],
  ) {
    super(dataDir)
    // The sealed original UIDs of a pulled case say where its results go back to.
    this.origin = { kind: 'pacs', pacsName: client.name }
  }

  list(summary: ImportTally) {
    this.open()
    summary.warnings.push(...this.notes)
    const known = this.plan.map((p) => ('series' in p ? p.instances : 0))
    const total = known.every((n) => n !== null) ? known.reduce<number>((a, n) => a + (n ?? 0), 0) : undefined
    return { items: this.items(summary), total }
  }

  private async *items(summary: ImportTally): AsyncGenerator<ImportItem<PacsItemMeta>> {
    for (const study of this.plan) {
      if ('error' in study) {
        summary.failed.push({ name: `study ${study.studyUid}`, reason: study.error.message })
        continue
      }
      if (this.fatal) {
        summary.failed.push({ name: `study ${study.studyUid}`, reason: `not pulled: ${this.fatal.message}` })
        continue
      }
      let index = 0
      for (const seriesUid of study.series) {
        const parts = partsOf<Uint8Array>((onPart) => this.client.retrieveSeries(study.studyUid, seriesUid, onPart, this.stop), this.stop)
        try {
          for await (const bytes of parts) {
            summary.scanned++
            this.pulled.add(study.studyUid)
            yield { name: `study ${study.studyUid}, instance ${++index}`, bytes, meta: { studyUid: study.studyUid } }
          }
        } catch (error) {
          if (this.stop.aborted) return // cancelled: the pipeline reports what committed
          if (!(error instanceof PacsError)) throw error
          summary.failed.push({ name: `study ${study.studyUid}`, reason: error.message })
          if (error.code === 'unreachable' || error.code === 'unauthorized') this.fatal = error
          break // the study's other series: pull again once the PACS answers properly
        }
      }
    }
  }

  /** Counts only: study UIDs and the PACS's URL say nothing the audit needs. */
  audit(summary: ImportTally) {
    return {
      action: 'cases.import.pacs',
      detail: {
        pacs: this.client.name,
        studies: this.plan.length,
        imported: summary.imported,
        duplicates: summary.duplicates,
        failed: summary.failed.length,
        warnings: summary.warnings.length,
      },
    }
  }
}
