/**
 * Validation dashboard state: the filters (method, finding, reader) and the data they select.
 * Each filter change refetches; answers to older requests are dropped. Export asks main for the
 * file's content and hands it to the browser as a download (works in Electron and browser mode).
 */
import { useSyncExternalStore } from 'react'
import type { CxrApi } from '../../../shared/api'
import type { DashboardData, DashboardQuery } from '../../../shared/domain'
import type { ExplainMethod } from '../../../shared/explainMethods'
import { errorMessage } from '../apiContext'

export interface DashboardFilters {
  method: ExplainMethod
  finding: string | null
  readerId: number | null
}

export interface DashboardState {
  filters: DashboardFilters
  data: DashboardData | null
  loading: boolean
  error: string | null
}

export type DashboardStore = ReturnType<typeof createDashboardStore>

function toQuery(filters: DashboardFilters): DashboardQuery {
  const query: DashboardQuery = { method: filters.method }
  if (filters.finding) query.finding = filters.finding
  if (filters.readerId !== null) query.readerId = filters.readerId
  return query
}

export function createDashboardStore(api: CxrApi) {
  let state: DashboardState = { filters: { method: 'gradcam', finding: null, readerId: null }, data: null, loading: false, error: null }
  const listeners = new Set<() => void>()
  let seq = 0

  function update(patch: Partial<DashboardState>): void {
    state = { ...state, ...patch }
    for (const listener of listeners) listener()
  }

  async function load(): Promise<void> {
    const ticket = ++seq
    update({ loading: true })
    try {
      const data = await api.validation.dashboard(toQuery(state.filters))
      if (ticket === seq) update({ data, loading: false, error: null })
    } catch (error) {
      if (ticket === seq) update({ loading: false, error: errorMessage(error) })
    }
  }

  return {
    subscribe(listener: () => void): () => void {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    getState: (): DashboardState => state,
    load,
    setFilters(patch: Partial<DashboardFilters>): void {
      update({ filters: { ...state.filters, ...patch } })
      void load()
    },
    async download(format: 'csv' | 'html' | 'pdf'): Promise<void> {
      try {
        const file = await api.validation.export({ ...toQuery(state.filters), format })
        // a PDF arrives as bytes (a view into the received message): copied into a Blob part of its own
        const part = typeof file.content === 'string' ? file.content : new Uint8Array(file.content)
        const url = URL.createObjectURL(new Blob([part], { type: file.mime }))
        const link = document.createElement('a')
        link.href = url
        link.download = file.filename
        document.body.appendChild(link)
        link.click()
        link.remove()
        // Revoked later: revoking at once can cancel the download in some browsers.
        setTimeout(() => URL.revokeObjectURL(url), 10_000)
      } catch (error) {
        update({ error: errorMessage(error) })
      }
    },
  }
}

export function useDashboardState(store: DashboardStore): DashboardState {
  return useSyncExternalStore(store.subscribe, store.getState)
}
