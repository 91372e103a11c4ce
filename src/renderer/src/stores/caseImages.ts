/**
 * Decoded case images, shared by the case view and the prefetch of its neighbours: a few
 * ImageBitmaps kept in an LRU so next/previous opens without a transfer or a decode.
 * createImageBitmap decodes off the main thread, so a prefetch does not stall the case on screen.
 * What is cached is each case's display image: the stored file for an ordinary radiograph, a
 * display-sized rendition for a large one (3000²: 1536² instead of 9 MP to move and decode); the
 * full-resolution image is fetched only when the reader zooms past the rendition (`full`).
 */
import type { CxrApi } from '../../../shared/api'
import { markOpenAt } from '../canvas/openTrace'
import { caseImageLoader, ImageDecodeError, type CaseImageLoader } from '../transport/caseImageLoader'
import { createLruCache, type LruCache } from './lruCache'

/** The open case, the one before and after it, and the last two left. */
const CAPACITY = 5

export type CaseImages = LruCache<number, ImageBitmap> & {
  /** The stored image at full resolution, decoded; the caller owns (and closes) the bitmap. */
  full(caseId: number): Promise<ImageBitmap>
}

export function createCaseImages(api: CxrApi, load: CaseImageLoader = caseImageLoader(api)): CaseImages {
  const full = async (caseId: number) => (await load(caseId, 'full')).bitmap
  const display = createLruCache(async (caseId: number) => {
    try {
      const { bitmap, bytesAt, decodedAt } = await load(caseId, 'display')
      markOpenAt('image bytes in', caseId, bytesAt)
      markOpenAt('image decoded', caseId, decodedAt)
      return bitmap
    } catch (error) {
      // A rendition that does not decode (a damaged cache file) must not hide the case: the stored file then.
      if (error instanceof ImageDecodeError) return full(caseId)
      throw error
    }
  }, CAPACITY)
  return Object.assign(display, { full })
}
