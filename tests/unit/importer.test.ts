import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { importNih } from '../../src/main/cases/nihImporter'
import { CaseStore } from '../../src/main/store/caseStore'
import { openDatabase } from '../../src/main/store/database'
import { BOXES_CSV, csvBoxes, HAS_NIH, imageFolder, LABELS_CSV, NIH_1024, NIH_256, tempDir } from './helpers'

const cleanups: Array<() => void> = []
afterEach(() => cleanups.splice(0).forEach((fn) => fn()))

function fresh() {
  const dir = tempDir()
  cleanups.push(dir.cleanup)
  const store = new CaseStore(openDatabase(':memory:'))
  cleanups.push(() => store.close())
  return { dir: dir.path, store }
}

describe.runIf(HAS_NIH)('NIH import with real ChestX-ray14 files', () => {
  let images1024: string[]
  let boxesByImage: ReturnType<typeof csvBoxes>
  beforeAll(() => {
    images1024 = readdirSync(NIH_1024)
      .filter((n) => n.endsWith('.png'))
      .sort()
    boxesByImage = csvBoxes()
  })

  it('imports every 1024² image with labels, boxes, thumbnails and an audit entry; reports a corrupt PNG by name', async () => {
    const { dir, store } = fresh()
    const truncated = readFileSync(join(NIH_1024, images1024[0])).subarray(0, 3000)
    const folder = imageFolder(dir, NIH_1024, images1024, { 'zz_corrupt.png': truncated, 'not_an_image.png': 'hello' })
    const progress: number[] = []
    const summary = await importNih(
      store,
      { imagesDir: folder, labelsCsv: LABELS_CSV, boxesCsv: BOXES_CSV },
      {
        onProgress: (done) => progress.push(done),
      },
    )
    expect(summary.imported).toBe(images1024.length)
    expect(summary.failed.map((f) => f.name).sort()).toEqual(['not_an_image.png', 'zz_corrupt.png'])
    expect(summary.failed.every((f) => f.reason.length > 10 && !f.reason.includes(f.name))).toBe(true) // the name once, beside the reason
    expect(summary.unlabelled).toEqual([]) // failed files are not also "imported unlabelled"
    expect(summary.missing.length).toBe(1716 - images1024.length) // labels.csv rows for images not in the folder
    expect(progress.at(-1)).toBe(images1024.length + 2)

    const expectedBoxes = images1024.reduce((n, name) => n + (boxesByImage.get(name)?.length ?? 0), 0)
    expect(summary.boxesAdded).toBe(expectedBoxes)
    const page = store.worklist.query({ limit: 500 })
    expect(page.total).toBe(images1024.length)
    expect(page.rows.reduce((n, row) => n + row.boxes, 0)).toBe(expectedBoxes)

    const boxed = images1024.find((name) => boxesByImage.has(name))!
    const [record] = store.cases.findByImageName(boxed)
    expect(record).toMatchObject({ width: 1024, height: 1024, format: 'png', bitDepth: 8 })
    const stored = store.annotations.boxes(record.id)
    const expected = boxesByImage.get(boxed)!
    expect(stored.map((b) => [b.finding, b.x, b.y, b.w, b.h])).toEqual(expected.map((b) => [b.finding, b.x, b.y, b.w, b.h]))
    expect(store.cases.thumbnail(record.id)?.mime).toBe('image/jpeg')
    expect(store.audit.entries(null)[0]).toMatchObject({ action: 'cases.import', detail: { imported: images1024.length, failed: 2 } })
  })

  it('adds nothing twice on re-import (content hash), even under another file name', async () => {
    const { dir, store } = fresh()
    const names = images1024.filter((n) => boxesByImage.has(n)).slice(0, 4)
    const folder = imageFolder(dir, NIH_1024, names, { 'renamed_copy.png': readFileSync(join(NIH_1024, names[0])) })
    const request = { imagesDir: folder, labelsCsv: LABELS_CSV, boxesCsv: BOXES_CSV }
    const first = await importNih(store, request)
    expect(first.imported).toBe(4)
    expect(first.duplicates).toBe(1)
    const before = store.db
      .prepare('SELECT (SELECT count(*) FROM cases) c, (SELECT count(*) FROM labels) l, (SELECT count(*) FROM boxes) b')
      .get()
    const second = await importNih(store, request)
    expect(second).toMatchObject({ imported: 0, duplicates: 5, labelsAdded: 0, boxesAdded: 0, failed: [] })
    expect(
      store.db.prepare('SELECT (SELECT count(*) FROM cases) c, (SELECT count(*) FROM labels) l, (SELECT count(*) FROM boxes) b').get(),
    ).toEqual(before)
  })

  it('scales NIH boxes from the 1024² space to the stored image size (÷4 for 256²)', async () => {
    const { dir, store } = fresh()
    const names = [...boxesByImage.keys()].slice(0, 5)
    const folder = imageFolder(dir, NIH_256, names)
    const summary = await importNih(store, { imagesDir: folder, labelsCsv: LABELS_CSV, boxesCsv: BOXES_CSV })
    expect(summary.imported).toBe(5)
    for (const name of names) {
      const [record] = store.cases.findByImageName(name)
      expect(record.width).toBe(256)
      const stored = store.annotations.boxes(record.id)
      const expected = boxesByImage.get(name)!
      expect(stored).toHaveLength(expected.length)
      stored.forEach((box, i) => {
        expect(box.x).toBeCloseTo(expected[i].x / 4, 9)
        expect(box.y).toBeCloseTo(expected[i].y / 4, 9)
        expect(box.w).toBeCloseTo(expected[i].w / 4, 9)
        expect(box.h).toBeCloseTo(expected[i].h / 4, 9)
      })
    }
  })

  it('fails a malformed label CSV before writing anything, naming the file', async () => {
    const { dir, store } = fresh()
    const folder = imageFolder(dir, NIH_1024, images1024.slice(0, 2), { 'labels.csv': 'Image,Labels\nx,y\n' })
    await expect(importNih(store, { imagesDir: folder, labelsCsv: join(folder, 'labels.csv') })).rejects.toThrow(
      /labels.csv, line 1: missing columns/,
    )
    expect(store.worklist.query({}).total).toBe(0)
  })

  it('names a missing image folder', async () => {
    const { dir, store } = fresh()
    await expect(importNih(store, { imagesDir: join(dir, 'nowhere'), labelsCsv: LABELS_CSV })).rejects.toThrow(
      /Cannot read the image folder .*nowhere: does not exist .*\(ENOENT\)/,
    )
  })

  it('stops on cancel, keeping what was committed', async () => {
    const { dir, store } = fresh()
    const folder = imageFolder(dir, NIH_256, readdirSync(NIH_256).sort().slice(0, 120))
    const controller = new AbortController()
    const run = importNih(
      store,
      { imagesDir: folder, labelsCsv: LABELS_CSV },
      {
        signal: controller.signal,
        onProgress: (done) => {
          if (done >= 24) controller.abort()
        },
      },
    )
    await expect(run).rejects.toThrow(/cancelled/)
    const kept = store.worklist.query({}).total
    expect(kept).toBeGreaterThanOrEqual(24)
    expect(kept).toBeLessThan(120)
  })
})
