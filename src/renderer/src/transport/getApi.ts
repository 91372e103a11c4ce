import type { CxrApi } from '../../../shared/api'
import { connectWebApi } from './webApi'

declare global {
  interface Window {
    /** Set by the Electron preload; absent in browser mode. */
    api?: CxrApi
  }
}

/** The renderer never asks which transport it is on: it gets a `CxrApi` either way. */
export async function getApi(): Promise<CxrApi> {
  if (window.api) return window.api
  const token = new URLSearchParams(location.search).get('token')
  if (!token) throw new Error('This page needs the access token from the URL that `npm run web` printed.')
  return connectWebApi(token)
}
