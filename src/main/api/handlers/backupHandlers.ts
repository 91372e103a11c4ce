import type { Services } from '../../services/openServices'
import type { HandlersOf } from './types'

/** The snapshots in backups/ and an in-place restore (services/backupService.ts). */
export function backupHandlers(core: Services): HandlersOf<'backups:list' | 'backups:restore'> {
  return {
    'backups:list': () => core.backups.list(),
    'backups:restore': ({ name }) => core.backups.restore(name),
  }
}
