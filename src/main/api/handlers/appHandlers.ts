import type { Services } from '../../services/openServices'
import { reidentificationStatus } from '../../reid/reidentification'
import type { HandlersOf, PickPath } from './types'

/** What the app is and where its data lives, and the desktop shell's file picker. */
export function appHandlers(core: Services, pickPath?: PickPath): HandlersOf<'app:info' | 'dialog:open'> {
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
    }),
    'dialog:open': async ({ kind, title }) => ({ path: pickPath ? await pickPath(kind, title) : null }),
  }
}
