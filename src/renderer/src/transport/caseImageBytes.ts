/**
 * A case image's bytes as a Blob, whichever transport the renderer is on: in browser mode over
 * HTTP (src/main/web/imageRoute.ts) so that the bytes neither queue ahead of the socket's small
 * answers nor pass through the page's JavaScript heap; in the app through the contract (IPC).
 */
import type { CxrApi } from '../../../shared/api'

export type Rendition = 'display' | 'full'
export type CaseImageBytes = (caseId: number, rendition: Rendition) => Promise<Blob>

export function caseImageBytes(api: CxrApi): CaseImageBytes {
  const token = window.api ? null : new URLSearchParams(location.search).get('token')
  if (!token) {
    return async (caseId, rendition) => {
      const image = await api.cases.image({ caseId, rendition })
      return new Blob([image.bytes as Uint8Array<ArrayBuffer>], { type: image.mime })
    }
  }
  return async (caseId, rendition) => {
    const response = await fetch(`/api/case-image/${caseId}?rendition=${rendition}`, { headers: { 'X-CXR-Lens-Token': token } })
    // the server's reason in words ("The image file of … cannot be read at …; was it moved?")
    if (!response.ok)
      throw new Error((await response.text()) || `The image of case ${caseId} could not be loaded (HTTP ${response.status})`)
    return response.blob()
  }
}
