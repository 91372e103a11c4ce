import { LocalVault } from '../reid/localVault'
import type { CaseStore } from '../store/caseStore'

/** Where an instance sits in its PACS: what a result sent back must reference. Held only sealed. */
export interface OriginalUids {
  study: string
  series: string
  sop: string
  sopClass: string | null
}

/**
 * The vault context of a case's UIDs: the SHA-256 of the imported file, which a case keeps whatever
 * its id (a restore, a re-import into another folder), so sealed UIDs copied to another case's row
 * fail to open instead of sending that case's results into the wrong patient's study.
 */
export const originalUidsContext = (sha256: string) => `case-uids:${sha256}`

/** The UIDs of a decoded instance, sealed; null when the file lacks one of them (then no push is possible). */
export function sealOriginalUids(
  vault: LocalVault,
  uids: { study: string | null; series: string | null; sop: string | null; sopClass: string | null },
  sha256: string,
): string | null {
  if (!uids.study || !uids.series || !uids.sop) return null
  const value: OriginalUids = { study: uids.study, series: uids.series, sop: uids.sop, sopClass: uids.sopClass }
  return vault.sealJson(value, originalUidsContext(sha256))
}

export class NoOriginalStudyError extends Error {
  constructor(caseId: number) {
    super(
      `Case ${caseId} has no original study to send results to (imported before CXR Lens kept original UIDs, database version 8; or from an NIH folder; or from a DICOM file without Study/Series/SOP Instance UIDs)`,
    )
    this.name = 'NoOriginalStudyError'
  }
}

/** Opens a case's original UIDs with this installation's vault; refuses a case that has none. */
export function openOriginalUids(store: CaseStore, dataDir: string, caseId: number): OriginalUids {
  const record = store.cases.get(caseId)
  const source = store.caseSources.get(caseId)
  if (!record || !source) throw new NoOriginalStudyError(caseId)
  return LocalVault.open(dataDir).openJson<OriginalUids>(source.sealedUids, originalUidsContext(record.sha256))
}
