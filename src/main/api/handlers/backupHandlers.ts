import type { Services } from '../../services/openServices'
import type { HandlersOf } from './types'

/** The snapshots in backups/ and an in-place restore (services/backupService.ts). */
export function backupHandlers(core: Services): HandlersOf<'backups:list' | 'backups:restore'> {
  return {
    'backups:list': () => core.backups.list(),
    'backups:restore': async ({ name }) => {
      // No background worker may hold the file while it is swapped.
      await core.background.suspend()
      try {
        return core.backups.restore(name)
      } finally {
        core.background.resume()
      }
    },
  }
}
