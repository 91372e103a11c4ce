import { machinePolicy, policyInfo } from '../../config/policy'
import { currentLogFile } from '../../logging/log'
import { exportDiagnostics } from '../operations'
import type { Services } from '../../services/openServices'
import { reidentificationStatus } from '../../reid/reidentification'
import type { HandlersOf, PickPath } from './types'

/** What the app is and where its data lives, and the desktop shell's file picker. */
export function appHandlers(core: Services, pickPath?: PickPath): HandlersOf<'app:info' | 'dialog:open' | 'diagnostics:export'> {
  return {
    'app:info': () => ({
      name: 'CXR Lens',
      version: core.version,
      dataDir: core.dataDir,
      schemaVersion: core.schemaVersion,
      transport: core.transport,
      nativeDialogs: pickPath !== undefined,
      database: core.health,
      reidentification: reidentificationStatus(core.dataDir),
      policy: policyInfo(machinePolicy()),
      logFile: currentLogFile(),
    }),
    // Answers while the database is damaged too: that is when support needs the bundle most.
    'diagnostics:export': () => exportDiagnostics(core),
    'dialog:open': async ({ kind, title }) => ({ path: pickPath ? await pickPath(kind, title) : null }),
  }
}
