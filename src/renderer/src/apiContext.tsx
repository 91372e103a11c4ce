/**
 * The api handed to the whole renderer: `main.tsx` awaits `getApi()` once and provides it here, so
 * components never reach for `window.api` themselves.
 */
import { createContext, useContext, type ReactNode } from 'react'
import { ApiError, type CxrApi } from '../../shared/api'

const ApiContext = createContext<CxrApi | null>(null)

export function ApiProvider({ api, children }: { api: CxrApi; children: ReactNode }) {
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>
}

export function useApi(): CxrApi {
  const api = useContext(ApiContext)
  if (!api) throw new Error('useApi() used outside <ApiProvider>')
  return api
}

/** A user-readable message for anything a call rejected with (ApiError messages already are). */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.issues.length ? `${error.message} (${error.issues.join('; ')})` : error.message
  if (error instanceof Error) return error.message
  return String(error)
}
