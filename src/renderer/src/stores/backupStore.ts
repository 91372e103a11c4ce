/**
 * Backups of the case database: the list (scheduled, pre-migration, pre-restore, manual) and a
 * restore with its outcome. After a restore the page reloads, so every other store starts over on
 * the restored database.
 */
import { useSyncExternalStore } from 'react'
import type { CxrApi } from '../../../shared/api'
import type { BackupInfo, RestoreResult } from '../../../shared/domain'
import { errorMessage } from '../apiContext'

export interface BackupState {
  backups: readonly BackupInfo[]
  loading: boolean
  /** The backup awaiting the user's confirmation. */
  confirming: BackupInfo | null
  restoring: boolean
  restored: RestoreResult | null
  error: string | null
}

export type BackupStore = ReturnType<typeof createBackupStore>

export function createBackupStore(api: CxrApi, reload: () => void = () => window.location.reload()) {
  let state: BackupState = { backups: [], loading: false, confirming: null, restoring: false, restored: null, error: null }
  const listeners = new Set<() => void>()

  function update(patch: Partial<BackupState>): void {
    state = { ...state, ...patch }
    for (const listener of listeners) listener()
  }

  return {
    subscribe(listener: () => void): () => void {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    getState: (): BackupState => state,
    async load(): Promise<void> {
      update({ loading: true, error: null })
      try {
        update({ backups: await api.backups.list({}), loading: false })
      } catch (error) {
        update({ loading: false, error: errorMessage(error) })
      }
    },
    ask(backup: BackupInfo): void {
      update({ confirming: backup, error: null })
    },
    dismiss(): void {
      update({ confirming: null })
    },
    async confirm(): Promise<void> {
      const backup = state.confirming
      if (!backup) return
      update({ restoring: true, error: null })
      try {
        const restored = await api.backups.restore({ name: backup.name })
        update({ restoring: false, confirming: null, restored })
        reload()
      } catch (error) {
        update({ restoring: false, confirming: null, error: errorMessage(error) })
      }
    },
  }
}

export function useBackupState(store: BackupStore): BackupState {
  return useSyncExternalStore(store.subscribe, store.getState)
}
