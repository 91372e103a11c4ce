/**
 * Decoded case images, shared by the case view and the prefetch of its neighbours: a few
 * ImageBitmaps kept in an LRU so next/previous opens without a transfer or a decode.
 * createImageBitmap decodes off the main thread, so a prefetch does not stall the case on screen.
 * What is cached is each case's display image: the stored file for an ordinary radiograph, a
 * display-sized rendition for a large one (3000²: 1536² instead of 9 MP to move and decode); the
 * full-resolution image is fetched only when the reader zooms past the rendition (`full`).
 */
import type { CxrApi } from '../../../shared/api'
import { markOpen } from '../canvas/openTrace'
import { caseImageBytes } from '../transport/caseImageBytes'
import { createLruCache, type LruCache } from './lruCache'

/** The open case, the one before and after it, and the last two left. */
const CAPACITY = 5

export type CaseImages = LruCache<number, ImageBitmap> & {
  /** The stored image at full resolution, decoded; the caller owns (and closes) the bitmap. */
  full(caseId: number): Promise<ImageBitmap>
}

export function createCaseImages(api: CxrApi): CaseImages {
  const bytes = caseImageBytes(api)
  const full = async (caseId: number) => createImageBitmap(await bytes(caseId, 'full'))
  const display = createLruCache(async (caseId: number) => {
    const blob = await bytes(caseId, 'display')
    markOpen('image bytes in', caseId)
    // A rendition that does not decode (a damaged cache file) must not hide the case: the stored file then.
    const bitmap = await createImageBitmap(blob).catch(() => full(caseId))
    markOpen('image decoded', caseId)
    return bitmap
  }, CAPACITY)
  return Object.assign(display, { full })
}
