/**
 * What sending results back and reading other workstations' SRs need from a DICOMweb server: exactly
 * these four calls. DicomwebClient (pacs/dicomwebClient.ts, QIDO-RS, WADO-RS, STOW-RS) satisfies it
 * structurally; tests talk to a real Orthanc through one of their own.
 */
export type DicomJson = Record<string, unknown>

export interface PacsResultsTransport {
  /** QIDO-RS /studies/{study}/instances with the query's matching keys; DICOM JSON objects */
  searchInstances(studyUid: string, query?: Record<string, string>): Promise<DicomJson[]>
  /** WADO-RS /studies/{study}/metadata: every instance's attributes, fresh from the PACS */
  studyMetadata(studyUid: string): Promise<DicomJson[]>
  /** WADO-RS one instance as Part 10 bytes */
  retrieveInstance(studyUid: string, seriesUid: string, sopUid: string, signal?: AbortSignal): Promise<Uint8Array>
  /** STOW-RS into the study; throws when the server refuses (the answer itself is not relied on: see pushResults.ts) */
  store(studyUid: string, instances: Uint8Array[]): Promise<unknown>
}
