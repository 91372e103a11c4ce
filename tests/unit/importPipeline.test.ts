import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataFolder } from '../../src/main/config/dataFolder'
import { openServices } from '../../src/main/services/openServices'
import { IN_FLIGHT_BYTES, runImport } from '../../src/main/cases/importPipeline'
import { ImportCancelledError, type ImportItem, type ImportSource, type ImportTally } from '../../src/main/cases/importSource'
import { NihFolderSource } from '../../src/main/cases/nihSource'
import { importDicom } from '../../src/main/dicom/dicomImporter'
import { DicomSource } from '../../src/main/dicom/dicomSource'
import { CaseStore } from '../../src/main/store/caseStore'
import { writeDicom } from './dicomWriter'
import type { JobStatusOf } from '../../src/shared/jobs'
import { HAS_NIH, imageFolder, LABELS_CSV, NIH_256, tempDir } from './helpers'

const dir = tempDir()
afterAll(dir.cleanup)
let png: Uint8Array

beforeAll(async () => {
  if (HAS_NIH) png = new Uint8Array(await sharp(join(NIH_256, '00000032_037.png')).greyscale().raw().toBuffer())
})

/** A distinct 256² DICOM instance (its own UID, so its own bytes and hash). */
const instance = (i: number) =>
  writeDicom({
    rows: 256,
    columns: 256,
    photometric: 'MONOCHROME2',
    bitsAllocated: 8,
    bitsStored: 8,
    pixels: png,
    sopInstanceUid: `1.2.3.${i}`,
  })

function dicomFolder(name: string, count: number): string {
  const folder = join(dir.path, name)
  mkdirSync(folder, { recursive: true })
  for (let i = 0; i < count; i++) writeFileSync(join(folder, `f${String(i).padStart(3, '0')}.dcm`), instance(i))
  return folder
}

describe.runIf(HAS_NIH)('the one import pipeline', () => {
  it('cancels a DICOM import promptly, keeping what committed, with its audit row; a rerun adds the rest', async () => {
    const folder = dicomFolder('cancel', 30)
    const dataDir = join(dir.path, 'cancel-data')
    const store = CaseStore.open(join(dataDir, 'cxr-lens.sqlite'))
    try {
      const controller = new AbortController()
      const progress: Array<[number, number, string]> = []
      const run = importDicom(
        store,
        { dicomDir: folder, dataDir },
        {
          signal: controller.signal,
          batchSize: 4,
          onProgress: (done, total, message) => {
            progress.push([done, total, message])
            controller.abort()
          },
        },
      )
      const error = await run.then(
        () => null,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(ImportCancelledError)
      const kept = store.worklist.query({}).total
      // The first batch (4) committed, then at most the two files already being decoded: not all 30.
      expect(kept).toBeGreaterThanOrEqual(4)
      expect(kept).toBeLessThanOrEqual(6)
      expect((error as ImportCancelledError).partial).toMatchObject({ imported: kept, duplicates: 0, failed: [], scanned: 30 })
      expect(progress[0]).toEqual([4, 30, '4 of 30 files (0 failed)'])
      expect(store.audit.entries(null)[0]).toMatchObject({ action: 'cases.import.dicom', detail: { imported: kept, cancelled: true } })

      const rerun = await importDicom(store, { dicomDir: folder, dataDir })
      expect(rerun).toMatchObject({ scanned: 30, imported: 30 - kept, duplicates: kept, failed: [] })
      expect(store.worklist.query({}).total).toBe(30)
    } finally {
      store.close()
    }
  }, 120_000)

  it("the import dialog's Cancel reaches a DICOM import job in its worker (it was ignored before)", async () => {
    const folder = dicomFolder('job-cancel', 120)
    const core = openServices(new DataFolder(join(dir.path, 'job-data')), { kind: 'web' })
    try {
      const jobId = core.jobs.start('importDicom', { dicomDir: folder })
      core.jobs.once('progress', () => core.jobs.cancel(jobId))
      const finished = (await core.jobs.wait(jobId)) as JobStatusOf<'importDicom'>
      expect(finished.state).toBe('cancelled')
      const kept = core.store.worklist.query({}).total
      expect(kept).toBeGreaterThanOrEqual(24) // the first batch committed before the progress event
      expect(kept).toBeLessThan(120)
      expect(finished.result).toMatchObject({ imported: kept, scanned: 120 })
    } finally {
      await core.close()
    }
  }, 120_000)

  it('decodes the same bytes once when a folder holds them twice, counting the copy a duplicate', async () => {
    const names = readdirSync(NIH_256).sort().slice(0, 3)
    const folder = imageFolder(join(dir.path, 'twice'), NIH_256, names)
    const copy = `zz-copy-of-${names[0]}`
    copyFileSync(join(folder, names[0]), join(folder, copy))
    class Counting extends NihFolderSource {
      prepared: string[] = []
      override prepare(bytes: Uint8Array, sha256: string, item: ImportItem) {
        this.prepared.push(item.name)
        return super.prepare(bytes, sha256, item)
      }
    }
    const store = CaseStore.open(':memory:')
    try {
      const source = new Counting({ imagesDir: folder, labelsCsv: LABELS_CSV })
      // Four decoders at once: both copies are read together, so only the in-import claim keeps the second from decoding.
      const summary = await runImport(store, source, { concurrency: 4 })
      expect(summary).toMatchObject({ scanned: 4, imported: 3, duplicates: 1, failed: [], unlabelled: [copy] })
      // One of the two copies, whichever was hashed first, is decoded; never both.
      expect(source.prepared).toHaveLength(3)
      expect(source.prepared).toEqual(expect.arrayContaining(names.slice(1)))
      expect(store.worklist.query({}).total).toBe(3)
    } finally {
      store.close()
    }
  })

  it('a batch that cannot commit fails the import after every decoder stopped; earlier batches stay, the source is closed', async () => {
    const names = readdirSync(NIH_256).sort().slice(10, 20)
    const folder = imageFolder(join(dir.path, 'broken-commit'), NIH_256, names)
    class Failing extends NihFolderSource {
      inserted = 0
      closed = 0
      override insert(...args: Parameters<NihFolderSource['insert']>) {
        if (++this.inserted === 5) throw new Error('disk full (simulated)')
        return super.insert(...args)
      }
      close() {
        this.closed++
      }
    }
    const store = CaseStore.open(':memory:')
    try {
      const source = new Failing({ imagesDir: folder, labelsCsv: LABELS_CSV })
      await expect(runImport(store, source, { batchSize: 2, concurrency: 3 })).rejects.toThrow('disk full (simulated)')
      expect(store.worklist.query({}).total).toBe(4) // two whole batches; the third rolled back
      expect(source.inserted).toBe(5) // no later batch was tried
      expect(source.closed).toBe(1)
    } finally {
      store.close()
    }
  })

  it('clips dataset boxes to the stored image with the shared rule, and skips one lying wholly outside', async () => {
    const [name] = readdirSync(NIH_256).sort()
    const folder = imageFolder(join(dir.path, 'boxes'), NIH_256, [name])
    const boxesCsv = join(dir.path, 'boxes.csv')
    // In NIH's 1024² space: inside, over the right edge, beyond the image.
    writeFileSync(
      boxesCsv,
      `Image Index,Finding Label,x,y,w,h\n${name},Mass,100,200,40,80\n${name},Nodule,1000,-20,100,60\n${name},Mass,1100,10,20,20\n`,
    )
    const store = CaseStore.open(':memory:')
    try {
      const summary = await runImport(store, new NihFolderSource({ imagesDir: folder, labelsCsv: LABELS_CSV, boxesCsv }))
      expect(summary.boxesAdded).toBe(2)
      expect(summary.boxesSkipped).toEqual([{ name: `${name} (Mass)`, reason: 'box lies outside the image' }])
      const caseId = store.worklist.query({}).rows[0].id
      const boxes = store.annotations.boxes(caseId).map(({ finding, x, y, w, h }) => ({ finding, x, y, w, h }))
      expect(boxes).toEqual(
        expect.arrayContaining([
          { finding: 'Mass', x: 25, y: 50, w: 10, h: 20 }, // ÷4 to the 256² image, untouched
          { finding: 'Nodule', x: 250, y: 0, w: 6, h: 10 }, // (250, −5, 25, 15) cut at the top and right edges
        ]),
      )
    } finally {
      store.close()
    }
  })

  it('takes a source that receives instances over time (as a PACS will): bytes, no total, no files', async () => {
    /** The shape of the coming PACS intake: C-STOREd bytes arrive one by one; the count is unknown up front. */
    class ReceivedInstances extends DicomSource<{ callingAe: string }> {
      constructor(
        dataDir: string,
        private readonly received: Uint8Array[],
      ) {
        super(dataDir)
      }

      list() {
        this.open()
        const received = this.received
        async function* arrivals(): AsyncGenerator<ImportItem<{ callingAe: string }>> {
          for (const [i, bytes] of received.entries()) {
            await new Promise((wake) => setTimeout(wake, 1))
            yield { name: `association-1/instance-${i}`, bytes, meta: { callingAe: 'MODALITY1' } }
          }
        }
        return { items: arrivals() }
      }

      audit(summary: ImportTally) {
        return { action: 'cases.import.pacs', detail: { imported: summary.imported, failed: summary.failed.length } }
      }
    }
    const dataDir = join(dir.path, 'pacs-data')
    const store = CaseStore.open(join(dataDir, 'cxr-lens.sqlite'))
    try {
      const received = [instance(100), instance(101), instance(100), Uint8Array.from([1, 2, 3]), instance(102)]
      const totals: number[] = []
      const summary = await runImport(store, new ReceivedInstances(dataDir, received), {
        batchSize: 2,
        onProgress: (_done, total) => totals.push(total),
      })
      expect(summary).toMatchObject({
        imported: 3,
        duplicates: 1,
        failed: [{ name: 'association-1/instance-3', reason: 'not a DICOM Part 10 file (no DICM marker)' }],
      })
      expect(totals.at(-1)).toBe(5) // progress counts what arrived when the total is not known
      expect(store.audit.entries(null)[0]).toMatchObject({ action: 'cases.import.pacs', detail: { imported: 3, failed: 1 } })
      const rows = store.worklist.query({}).rows
      expect(rows.every((row) => /^img-[0-9a-f]{16}\.dcm$/.test(row.image))).toBe(true) // pseudonymised like a folder import
    } finally {
      store.close()
    }
  }, 60_000)
})

/** A synthetic source of in-memory items whose prepare only waits, recording how many run at once. */
class Timed implements ImportSource<null, null> {
  readonly unit = 'items'
  inFlight = 0
  most = 0
  /** `seed` makes the bytes (and hashes) differ between sources */
  constructor(
    private readonly count: number,
    private readonly seed: number,
    private readonly charge?: (size: number) => number,
  ) {}
  cost(size: number) {
    return this.charge ? this.charge(size) : size
  }
  list() {
    return {
      items: Array.from({ length: this.count }, (_, i) => ({ name: `item-${i}`, bytes: Uint8Array.of(this.seed, i + 1), meta: null })),
      total: this.count,
    }
  }
  async prepare() {
    this.most = Math.max(this.most, ++this.inFlight)
    await new Promise((wake) => setTimeout(wake, 15))
    this.inFlight--
    return null
  }
  insert(store: CaseStore, _prepared: null, sha256: string, item: ImportItem) {
    return store.cases.insert({
      imageName: item.name,
      patientId: null,
      path: `/nowhere/${item.name}`,
      sha256,
      format: 'png',
      width: 8,
      height: 8,
      bitDepth: 8,
      channels: 1,
      view: null,
      age: null,
      sex: null,
      followUp: null,
      originalWidth: null,
      originalHeight: null,
      pixelSpacingX: null,
      pixelSpacingY: null,
      importedAt: new Date().toISOString(),
    })
  }
  audit(summary: ImportTally) {
    return { action: 'cases.import.test', detail: { imported: summary.imported } }
  }
}

describe("the pipeline's decoder pool", () => {
  it('decodes as many items at once as asked, and fewer when their cost fills the byte budget', async () => {
    const store = CaseStore.open(':memory:')
    try {
      const free = new Timed(12, 1)
      expect(await runImport(store, free, { concurrency: 4, batchSize: 5 })).toMatchObject({ imported: 12, failed: [] })
      expect(free.most).toBe(4)
      const heavy = new Timed(6, 2, () => IN_FLIGHT_BYTES) // each item alone fills the byte budget
      expect(await runImport(store, heavy, { concurrency: 4 })).toMatchObject({ imported: 6, failed: [] })
      expect(heavy.most).toBe(1)
      const again = new Timed(12, 1) // the first source's bytes: nothing is prepared twice
      expect(await runImport(store, again, { concurrency: 4 })).toMatchObject({ imported: 0, duplicates: 12 })
      expect(again.most).toBe(0)
    } finally {
      store.close()
    }
  })
})
