/**
 * Messages between the page and the image-loading worker (imageLoadWorker.ts): the page asks for a
 * case image by URL, the worker answers with the decoded ImageBitmap (transferred, not copied) and
 * when its bytes were in, or with why it could not.
 */
export interface ImageLoadRequest {
  id: number
  /** Same-origin path of the image route, e.g. /api/case-image/12?rendition=display */
  url: string
  token: string
}

export type ImageLoadAnswer =
  | {
      id: number
      ok: true
      bitmap: ImageBitmap
      /** performance.timeOrigin + performance.now() in the worker when the bytes were in, and when decoded. */
      bytesAt: number
      decodedAt: number
    }
  /**
   * `stage`: the request failed (`status` 0 when there was no answer) with the server's reason in
   * words when it gave one, or the bytes did not decode.
   */
  | { id: number; ok: false; stage: 'fetch' | 'decode'; status: number; message: string }
