/**
 * What else a pull brings in once a study's images are committed. Owned by the "results back" half
 * of issue 14 (branch h/pacs-push): it replaces this body with "import the CXR Lens SRs the PACS holds
 * for this study as other readers' boxes" (SR import keeps the observer; a re-pull adds nothing twice).
 *
 * Called by pullStudies (pacsPull.ts) once per study that gave at least one instance, after the
 * import's closing transaction, so every case of the study is committed and findable.
 */
import type { ImportTally } from '../cases/importSource'
import type { CaseStore } from '../store/caseStore'
import type { DicomwebClient } from './dicomwebClient'

export interface StudyPulledContext {
  dataDir: string
  /** the pull's summary: add warnings or counts (boxesAdded) here */
  summary: ImportTally
  signal?: AbortSignal
  actor: string
}

export async function afterStudyPulled(
  _studyUid: string,
  _client: DicomwebClient,
  _store: CaseStore,
  _context: StudyPulledContext,
): Promise<void> {
  // Intentionally empty until the SR import lands (h/pacs-push).
}
