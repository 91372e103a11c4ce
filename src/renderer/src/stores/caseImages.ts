/**
 * Decoded case images, shared by the case view and the prefetch of its neighbours: a few
 * ImageBitmaps kept in an LRU so next/previous opens without a transfer or a decode.
 * createImageBitmap decodes off the main thread, so a prefetch does not stall the case on screen.
 */
import type { CxrApi } from '../../../shared/api'
import { createLruCache, type LruCache } from './lruCache'

/** The open case, the one before and after it, and the last two left. */
const CAPACITY = 5

export type CaseImages = LruCache<number, ImageBitmap>

export function createCaseImages(api: CxrApi): CaseImages {
  return createLruCache(async (caseId: number) => {
    const image = await api.cases.image({ caseId })
    return createImageBitmap(new Blob([image.bytes as Uint8Array<ArrayBuffer>], { type: image.mime }))
  }, CAPACITY)
}
