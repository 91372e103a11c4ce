/**
 * A real Orthanc with its DICOMweb plugin for the PACS tests (the process and its config live in
 * tests/e2e/orthancProcess.mjs, shared with the end-to-end spec). One per test file: start it in
 * beforeAll, stop() in afterAll (kills its process group and removes its temp folder).
 *
 *   const pacs = await startOrthanc()
 *   await pacs.upload(bytes)                       // Orthanc's REST POST /instances
 *   new DicomwebClient({ name: 'test', url: pacs.dicomWebUrl, auth: { kind: 'basic', user: pacs.user, password: pacs.password } })
 *   await pacs.rest('/studies')                    // Orthanc's own REST API, authenticated
 */
import { existsSync } from 'node:fs'
import { DICOMWEB_PLUGIN, freePort, ORTHANC_BINARY, startOrthanc, type RunningOrthanc } from '../e2e/orthancProcess.mjs'

export { freePort, startOrthanc, type RunningOrthanc }

/** Orthanc and its DICOMweb plugin are installed (.ci/run installs them; a bare machine skips these tests, saying so). */
export const HAS_ORTHANC = existsSync(ORTHANC_BINARY) && existsSync(DICOMWEB_PLUGIN)
