/**
 * A case image fetched and decoded: in browser mode by a worker (imageLoadWorker.ts), so neither
 * the transfer nor the decode waits for the page's main thread; in the app (IPC), or where the
 * worker cannot start, on the page through caseImageBytes as before. Either way the caller gets an
 * ImageBitmap it owns and when its bytes were in and decoded (page clock, for the opening's trace).
 */
import type { CxrApi } from '../../../shared/api'
import { caseImageBytes, type Rendition } from './caseImageBytes'
import type { ImageLoadAnswer, ImageLoadRequest } from './imageLoadProtocol'

export interface LoadedImage {
  bitmap: ImageBitmap
  /** performance.now() of the page when the bytes were in, and when the bitmap was decoded. */
  bytesAt: number
  decodedAt: number
}

/** The bytes arrived but are not an image the browser decodes (a damaged file). */
export class ImageDecodeError extends Error {}

export type CaseImageLoader = (caseId: number, rendition: Rendition) => Promise<LoadedImage>

/** What the loader needs of a Worker (a fake one in tests). */
export interface WorkerLike {
  postMessage(message: ImageLoadRequest): void
  onmessage: ((event: MessageEvent<ImageLoadAnswer>) => void) | null
  onerror: ((event: Event) => void) | null
}

/** Loads on the page: the bytes from `bytes`, decoded by createImageBitmap. */
export function mainThreadLoader(bytes: (caseId: number, rendition: Rendition) => Promise<Blob>): CaseImageLoader {
  return async (caseId, rendition) => {
    const blob = await bytes(caseId, rendition)
    const bytesAt = performance.now()
    const bitmap = await createImageBitmap(blob).catch((error: unknown) => {
      throw new ImageDecodeError(`The image of case ${caseId} does not decode: ${error instanceof Error ? error.message : String(error)}`)
    })
    return { bitmap, bytesAt, decodedAt: performance.now() }
  }
}

/**
 * Loads through `worker`; a worker that fails (it did not start, or died) hands its pending and all
 * later loads to `fallback`, so an image is never lost to the worker.
 */
export function workerLoader(worker: WorkerLike, token: string, fallback: CaseImageLoader): CaseImageLoader {
  const pending = new Map<number, { caseId: number; rendition: Rendition; resolve: (v: LoadedImage) => void; reject: (e: Error) => void }>()
  let nextId = 1
  let broken = false
  const pageTime = (workerTime: number) => workerTime - performance.timeOrigin
  worker.onmessage = ({ data }) => {
    const call = pending.get(data.id)
    if (!call) return
    pending.delete(data.id)
    if (data.ok) return call.resolve({ bitmap: data.bitmap, bytesAt: pageTime(data.bytesAt), decodedAt: pageTime(data.decodedAt) })
    if (data.stage === 'decode')
      return call.reject(new ImageDecodeError(`The image of case ${call.caseId} does not decode: ${data.message}`))
    call.reject(new Error(data.message || `The image of case ${call.caseId} could not be loaded (HTTP ${data.status})`))
  }
  worker.onerror = () => {
    broken = true
    const left = [...pending.values()]
    pending.clear()
    for (const call of left) fallback(call.caseId, call.rendition).then(call.resolve, call.reject)
  }
  return (caseId, rendition) => {
    if (broken) return fallback(caseId, rendition)
    return new Promise((resolve, reject) => {
      const id = nextId++
      pending.set(id, { caseId, rendition, resolve, reject })
      worker.postMessage({ id, url: `/api/case-image/${caseId}?rendition=${rendition}`, token })
    })
  }
}

export function caseImageLoader(api: CxrApi): CaseImageLoader {
  const onPage = mainThreadLoader(caseImageBytes(api))
  const token = window.api ? null : new URLSearchParams(location.search).get('token')
  if (!token || typeof Worker === 'undefined') return onPage
  try {
    const worker = new Worker(new URL('./imageLoadWorker.ts', import.meta.url), { type: 'module', name: 'case images' })
    return workerLoader(worker as unknown as WorkerLike, token, onPage)
  } catch {
    return onPage
  }
}
