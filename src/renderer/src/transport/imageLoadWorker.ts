/**
 * Fetches and decodes case images off the page's main thread. On the main thread, a Blob handed to
 * createImageBitmap is read back in small tasks that queue behind React's rendering of the case
 * being opened, so its decode began tens of ms after the bytes were in (issue 17's traces); here
 * the transfer and the decode go on whatever the page is doing, and only the finished ImageBitmap
 * crosses over (transferred, not copied).
 */
import type { ImageLoadAnswer, ImageLoadRequest } from './imageLoadProtocol'

// The renderer's TypeScript library is the DOM's; the worker's own global is typed here as far as it is used.
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ImageLoadRequest>) => void) | null
  postMessage(message: ImageLoadAnswer, transfer?: Transferable[]): void
}

const now = () => performance.timeOrigin + performance.now()
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

async function load({ id, url, token }: ImageLoadRequest): Promise<void> {
  let blob: Blob
  try {
    const response = await fetch(url, { headers: { 'X-CXR-Lens-Token': token } })
    if (!response.ok) {
      const message = await response.text().catch(() => '')
      return scope.postMessage({ id, ok: false, stage: 'fetch', status: response.status, message })
    }
    blob = await response.blob()
  } catch (error) {
    return scope.postMessage({ id, ok: false, stage: 'fetch', status: 0, message: messageOf(error) })
  }
  const bytesAt = now()
  try {
    const bitmap = await createImageBitmap(blob)
    scope.postMessage({ id, ok: true, bitmap, bytesAt, decodedAt: now() }, [bitmap])
  } catch (error) {
    scope.postMessage({ id, ok: false, stage: 'decode', status: 200, message: messageOf(error) })
  }
}

scope.onmessage = (event) => void load(event.data)
