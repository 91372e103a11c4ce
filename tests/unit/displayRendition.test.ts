// Display renditions of large images: their size, one rendering per image (cached on disk by hash,
// shared by concurrent requests and later instances), pixels that stay where they were (a mark at a
// known place in the original lands at the same image coordinates scaled), 16 bits kept, and the
// cases:image channel serving the rendition or the stored file.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, describe, expect, it } from 'vitest'
import { DISPLAY_SIDE, DisplayRenditions, RENDITION_ABOVE, renditionSize } from '../../src/main/cases/displayRendition'
import { createDispatcher } from '../../src/main/api/dispatch'
import { createHandlers } from '../../src/main/api/handlers'
import { DataFolder } from '../../src/main/config/dataFolder'
import { openServices } from '../../src/main/services/openServices'
import { tempDir } from './helpers'

const dir = tempDir('cxr-rendition-')
afterAll(() => dir.cleanup())

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** A grey image with a white square at (x, y, side) in its own pixels. */
async function markedImage(width: number, height: number, mark: { x: number; y: number; side: number }, depth: 8 | 16 = 8) {
  const pixels = new Uint8Array(width * height).fill(60)
  for (let y = mark.y; y < mark.y + mark.side; y++) pixels.fill(255, y * width + mark.x, y * width + mark.x + mark.side)
  let pipeline = sharp(pixels, { raw: { width, height, channels: 1 } })
  if (depth === 16) pipeline = pipeline.toColourspace('grey16')
  return new Uint8Array(await pipeline.png({ compressionLevel: 1 }).toBuffer())
}

/** Bounding box of the pixels brighter than mid-grey (one channel, 8 or 16 bits). */
async function brightBox(png: Uint8Array) {
  const { data, info } = await sharp(png).extractChannel(0).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true })
  let minX = Infinity
  let minY = Infinity
  let maxX = -1
  let maxY = -1
  for (let y = 0; y < info.height; y++)
    for (let x = 0; x < info.width; x++) {
      if (data[y * info.width + x]! < 160) continue
      minX = Math.min(minX, x)
      minY = Math.min(minY, y)
      maxX = Math.max(maxX, x)
      maxY = Math.max(maxY, y)
    }
  return { x: minX, y: minY, w: maxX - minX + 1, h: maxY - minY + 1 }
}

describe('renditionSize', () => {
  it('leaves images up to RENDITION_ABOVE as stored and fits larger ones in DISPLAY_SIDE, keeping the aspect', () => {
    expect(renditionSize(1024, 1024)).toBeNull()
    expect(renditionSize(RENDITION_ABOVE, 1000)).toBeNull()
    expect(renditionSize(3000, 3000)).toEqual({ width: DISPLAY_SIDE, height: DISPLAY_SIDE })
    expect(renditionSize(3000, 2500)).toEqual({ width: 1536, height: 1280 })
    expect(renditionSize(2000, 4000)).toEqual({ width: 768, height: 1536 })
    expect(() => renditionSize(0, 10)).toThrow(/positive/)
  })
})

describe('DisplayRenditions', () => {
  const cache = join(dir.path, 'cache', 'display')

  it('renders a 3000² image once, at 1536², with the mark at the scaled coordinates; later reads come from the file', async () => {
    const mark = { x: 2100, y: 600, side: 300 }
    const bytes = await markedImage(3000, 3000, mark)
    const file = join(dir.path, 'big.png')
    writeFileSync(file, bytes)
    const image = { sha256: sha(bytes), width: 3000, height: 3000, bitDepth: 8 }
    const renditions = new DisplayRenditions(cache)

    // concurrent requests (the open case and a prefetch) share one rendering
    const [a, b] = await Promise.all([renditions.get(image, file), renditions.get(image, file)])
    expect(renditions.rendered).toBe(1)
    expect(a).not.toBeNull()
    expect(b!.bytes).toEqual(a!.bytes)
    expect(a).toMatchObject({ width: 1536, height: 1536 })
    const meta = await sharp(a!.bytes).metadata()
    expect(meta).toMatchObject({ format: 'png', width: 1536, height: 1536, depth: 'uchar' })
    expect(Buffer.isBuffer(a!.bytes)).toBe(false) // plain Uint8Array crosses the wire codec

    // the mark, in rendition pixels, scaled back to the image's: where it was (within the resampling's reach)
    const box = await brightBox(a!.bytes)
    const k = 3000 / 1536
    expect(Math.abs(box.x * k - mark.x)).toBeLessThanOrEqual(4)
    expect(Math.abs(box.y * k - mark.y)).toBeLessThanOrEqual(4)
    expect(Math.abs(box.w * k - mark.side)).toBeLessThanOrEqual(6)
    expect(Math.abs(box.h * k - mark.side)).toBeLessThanOrEqual(6)

    // one file per image hash, nothing left half-written
    expect(readdirSync(cache)).toEqual([`${image.sha256}-1536x1536.png`])
    await renditions.get(image, file)
    const later = new DisplayRenditions(cache)
    const again = await later.get(image, join(dir.path, 'no-such-file.png'))
    expect(renditions.rendered).toBe(1)
    expect(later.rendered).toBe(0)
    expect(again!.bytes).toEqual(a!.bytes)
  })

  it('keeps 16 bits for a 16-bit image and renders from bytes in memory', async () => {
    const bytes = await markedImage(2400, 2000, { x: 100, y: 100, side: 400 }, 16)
    expect((await sharp(bytes).metadata()).depth).toBe('ushort')
    const renditions = new DisplayRenditions(cache)
    const shown = await renditions.get({ sha256: sha(bytes), width: 2400, height: 2000, bitDepth: 16 }, bytes)
    expect(shown).toMatchObject({ width: 1536, height: 1280 })
    expect(await sharp(shown!.bytes).metadata()).toMatchObject({ width: 1536, height: 1280, depth: 'ushort', channels: 1 })
  })

  it('makes none for an image shown as stored, refuses a key that is not a hash, and reports an unreadable source', async () => {
    const renditions = new DisplayRenditions(cache)
    expect(await renditions.get({ sha256: 'a'.repeat(64), width: 1024, height: 1024, bitDepth: 8 }, '/nonexistent')).toBeNull()
    await expect(renditions.get({ sha256: '../../etc/passwd', width: 3000, height: 3000, bitDepth: 8 }, '/nonexistent')).rejects.toThrow(
      /not a SHA-256/,
    )
    await expect(
      renditions.get({ sha256: 'b'.repeat(64), width: 3000, height: 3000, bitDepth: 8 }, join(dir.path, 'gone.png')),
    ).rejects.toThrow()
    expect(existsSync(join(cache, `${'b'.repeat(64)}-1536x1536.png`))).toBe(false)
    expect(renditions.rendered).toBe(0)
  })
})

describe('cases:image', () => {
  it('serves a large case its rendition when asked for the display image, and the stored file otherwise', async () => {
    const data = join(dir.path, 'data')
    const images = join(dir.path, 'images')
    const { mkdirSync } = await import('node:fs')
    mkdirSync(images, { recursive: true })
    const large = await markedImage(3000, 2500, { x: 1000, y: 1000, side: 200 })
    const small = await markedImage(1024, 1024, { x: 10, y: 10, side: 50 })
    writeFileSync(join(images, 'large.png'), large)
    writeFileSync(join(images, 'small.png'), small)
    writeFileSync(join(dir.path, 'labels.csv'), 'Image Index,Finding Labels\nlarge.png,No Finding\nsmall.png,No Finding\n')
    const core = openServices(new DataFolder(data), { kind: 'web' })
    try {
      const dispatch = createDispatcher(createHandlers(core))
      const imported = (await dispatch('import:start', { imagesDir: images, labelsCsv: join(dir.path, 'labels.csv') })) as {
        ok: true
        data: { jobId: string }
      }
      expect((await core.jobs.wait(imported.data.jobId)).state).toBe('succeeded')
      // made at import, while the image's bytes were in memory
      expect(readdirSync(new DataFolder(data).displayRenditions)).toEqual([`${sha(large)}-1536x1280.png`])
      const ids = core.store.worklist.query({}).rows.map((r) => [r.image, r.id] as const)
      const idOf = new Map(ids)
      const get = async (caseId: number, rendition?: 'display' | 'full') =>
        (
          (await dispatch('cases:image', rendition ? { caseId, rendition } : { caseId })) as {
            ok: true
            data: { mime: string; bytes: Uint8Array }
          }
        ).data
      const display = await get(idOf.get('large.png')!, 'display')
      expect(display.mime).toBe('image/png')
      expect(await sharp(display.bytes).metadata()).toMatchObject({ width: 1536, height: 1280 })
      expect(Buffer.from((await get(idOf.get('large.png')!)).bytes)).toEqual(Buffer.from(large))
      expect(Buffer.from((await get(idOf.get('large.png')!, 'full')).bytes)).toEqual(Buffer.from(large))
      expect(Buffer.from((await get(idOf.get('small.png')!, 'display')).bytes)).toEqual(Buffer.from(small))
      const bad = await dispatch('cases:image', { caseId: idOf.get('large.png')!, rendition: 'thumbnail' })
      expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
    } finally {
      await core.close()
    }
  })
})
