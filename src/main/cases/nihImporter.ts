import { readdirSync, statSync } from 'node:fs'
import { extname, join, resolve } from 'node:path'
import type { ImportFailure, ImportRequest, ImportSummary } from '../../shared/domain'
import type { CaseStore } from '../store/caseStore'
import { ByteBudget } from './byteBudget'
import { decodeImage, IMPORTABLE_EXTENSIONS, readImage, type DecodedImage } from './imageIntake'
import { readNihBoxes, readNihLabels, type NihLabelRow } from './nihCsv'
import { boxAttribution, hasReaderBox, NIH_BOX_SPACE, scaleNihBox } from './nihBoxes'
import { reasonOf } from './failureReason'
import { describeFsError, entryName, MAX_FILE_BYTES, NON_UTF8_NAME, regularFileSize } from './regularFile'

export interface ImportHooks {
  onProgress?: (done: number, total: number, message: string) => void
  signal?: AbortSignal
  actor?: string
  /** Images decoded at once; libvips spreads them over the libuv thread pool. */
  concurrency?: number
}

export class ImportCancelledError extends Error {
  constructor(readonly partial: ImportSummary) {
    super(`Import cancelled after ${partial.imported} new image(s); those stay imported.`)
    this.name = 'ImportCancelledError'
  }
}

interface Decoded {
  name: string
  path: string
  result: (DecodedImage & { sha256: string }) | { duplicateOf: number } | { error: string }
}

const BATCH = 24
const AUTHOR = 'NIH ChestX-ray14'
/** A box row for an image of another folder: normal when the full box list meets a subset of images. */
export const BOX_IMAGE_NOT_IN_FOLDER = 'image not in the folder'
/** Image file bytes held at once by the decoders together (each file is at most MAX_FILE_BYTES). */
const IN_FLIGHT_BYTES = 2 * MAX_FILE_BYTES

/** The folder's image files by name; names that are not UTF-8 apart, as they cannot be stored or matched to a CSV row. */
function listImages(dir: string): { files: string[]; badNames: string[] } {
  let entries: Buffer[]
  try {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' })
    entries = readdirSync(dir, { encoding: 'buffer' })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new Error(`Cannot read the image folder ${dir}: ${code === 'ENOTDIR' ? 'not a folder (ENOTDIR)' : describeFsError(error)}`)
  }
  const files: string[] = []
  const badNames: string[] = []
  for (const raw of entries) {
    const { name, valid } = entryName(raw)
    if (!IMPORTABLE_EXTENSIONS.includes(extname(name).toLowerCase())) continue
    ;(valid ? files : badNames).push(name)
  }
  return { files: files.sort(), badNames: badNames.sort() }
}

/**
 * Imports an NIH ChestX-ray14 layout: a folder of images, Data_Entry_2017.csv labels and optionally
 * the box list. Each batch commits on its own, so a corrupt file or a cancel never loses the rest;
 * the content hash makes re-imports add nothing twice.
 */
export async function importNih(store: CaseStore, request: ImportRequest, hooks: ImportHooks = {}): Promise<ImportSummary> {
  const started = performance.now()
  const imagesDir = resolve(request.imagesDir)
  // Parse both CSVs before touching the store: a malformed file fails the import with nothing written.
  const labels = readNihLabels(resolve(request.labelsCsv))
  const boxes = request.boxesCsv ? readNihBoxes(resolve(request.boxesCsv)) : { rows: [], rejected: [] }
  const { files, badNames } = listImages(imagesDir)
  const inFolder = new Set(files)
  const labelOf = new Map<string, NihLabelRow>(labels.rows.map((row) => [row.image, row]))

  const summary: ImportSummary & { warnings: string[] } = {
    scanned: files.length + badNames.length, imported: 0, duplicates: 0,
    failed: [...labels.rejected, ...badNames.map((name) => ({ name, reason: NON_UTF8_NAME }))],
    missing: labels.rows.filter((row) => !inFolder.has(row.image)).map((row) => row.image),
    unlabelled: [], // filled at the end: only files that did import
    labelsAdded: 0, boxesAdded: 0, boxesSkipped: [...boxes.rejected], seconds: 0, imagesPerSecond: 0, warnings: [],
  }
  const caseOf = new Map<string, { id: number; width: number; height: number }>()
  const now = new Date().toISOString()
  const budget = new ByteBudget(IN_FLIGHT_BYTES)
  let done = 0

  const decodeOne = async (name: string): Promise<Decoded> => {
    const path = join(imagesDir, name)
    let held = 0
    try {
      held = await regularFileSize(path, { name })
      await budget.take(held)
      const { bytes, sha256 } = await readImage(path, name)
      const existing = store.cases.findBySha(sha256)
      if (existing) return { name, path, result: { duplicateOf: existing.id } }
      return { name, path, result: { sha256, ...(await decodeImage(bytes, name)) } }
    } catch (error) {
      return { name, path, result: { error: reasonOf(error, name) } }
    } finally {
      if (held) budget.give(held)
    }
  }

  const writeBatch = (batch: Decoded[]) =>
    store.transaction(() => {
      for (const item of batch) {
        const { name, path, result } = item
        if ('error' in result) {
          summary.failed.push({ name, reason: result.error })
          continue
        }
        const row = labelOf.get(name)
        let caseId: number
        if ('duplicateOf' in result) {
          caseId = result.duplicateOf
          summary.duplicates++
        } else {
          const again = store.cases.findBySha(result.sha256) // the same bytes twice in one folder
          if (again) {
            caseId = again.id
            summary.duplicates++
          } else {
            const patientId = row?.patientId ? store.cases.ensurePatient(row.patientId, row.sex, now) : null
            caseId = store.cases.insert({
              imageName: name, patientId, path, sha256: result.sha256, format: result.format,
              width: result.width, height: result.height, bitDepth: result.bitDepth, channels: result.channels,
              view: row?.view ?? null, age: row?.age ?? null, sex: row?.sex ?? null, followUp: row?.followUp ?? null,
              originalWidth: row?.originalWidth ?? null, originalHeight: row?.originalHeight ?? null,
              pixelSpacingX: row?.pixelSpacingX ?? null, pixelSpacingY: row?.pixelSpacingY ?? null, importedAt: now,
            })
            const t = result.thumbnail
            store.cases.putThumbnail(caseId, t.mime, t.width, t.height, t.data)
            summary.imported++
            summary.warnings.push(...(labels.warnings?.get(name) ?? []))
          }
        }
        const stored = store.cases.get(caseId)!
        caseOf.set(name, { id: caseId, width: stored.width, height: stored.height })
        for (const finding of row?.findings ?? []) {
          if (store.annotations.addLabel(caseId, finding, 'dataset', AUTHOR, now)) summary.labelsAdded++
        }
      }
    })

  // A continuous pool: decoders never wait for a batch boundary; every BATCH finished images are
  // committed in one transaction while the libuv threads keep decoding.
  const concurrency = Math.max(1, hooks.concurrency ?? 6)
  let pending: Decoded[] = []
  let next = 0
  const flush = () => {
    if (pending.length === 0) return
    writeBatch(pending)
    done += pending.length
    pending = []
    hooks.onProgress?.(done, files.length, `${done} of ${files.length} images (${summary.failed.length} failed)`)
  }
  await Promise.all(
    Array.from({ length: Math.min(concurrency, files.length) }, async () => {
      while (next < files.length && !hooks.signal?.aborted) {
        const decoded = await decodeOne(files[next++])
        pending.push(decoded) // after the await: `pending` may have been flushed and replaced meanwhile
        if (pending.length >= BATCH) flush()
      }
    }),
  )
  flush()
  summary.unlabelled = files.filter((name) => caseOf.has(name) && !labelOf.has(name))
  if (hooks.signal?.aborted) throw new ImportCancelledError(finish(summary, started))

  store.transaction(() => {
    const attribute = boxAttribution(store, AUTHOR)
    let readerBoxesAdded = 0
    for (const box of boxes.rows) {
      const target = caseOf.get(box.image)
      if (!target) {
        const reason = inFolder.has(box.image) ? 'its image failed to import' : BOX_IMAGE_NOT_IN_FOLDER
        summary.boxesSkipped.push({ name: `${box.image} (${box.finding})`, reason })
        continue
      }
      const scaled = scaleNihBox(box, target.width, target.height)
      const by = attribute(box.author)
      if ('refused' in by) {
        summary.boxesSkipped.push({ name: `${box.image} (${box.finding})`, reason: by.refused })
        continue
      }
      if (by.reader) {
        if (hasReaderBox(store, target.id, by.reader.id, box.finding, scaled)) continue // imported before
        const boxId = store.annotations.addBox({ caseId: target.id, finding: box.finding, ...scaled, source: 'reader', author: by.reader.name, readerId: by.reader.id, at: now })
        // Who imported it, and whose it is: the box keeps its reader; the audit says it came from a file.
        store.audit.append(hooks.actor ?? 'system', 'box.import', target.id, { boxId, readerId: by.reader.id, boxesCsv: request.boxesCsv ?? null, after: { finding: box.finding, ...scaled } }, now)
        summary.boxesAdded++
        readerBoxesAdded++
      } else if (store.annotations.addBox({ caseId: target.id, finding: box.finding, ...scaled, source: 'dataset', author: AUTHOR, at: now }) !== null) {
        summary.boxesAdded++
      }
    }
    finish(summary, started)
    store.audit.append(hooks.actor ?? 'system', 'cases.import', null, {
      imagesDir, labelsCsv: request.labelsCsv, boxesCsv: request.boxesCsv ?? null, boxSpace: NIH_BOX_SPACE,
      imported: summary.imported, duplicates: summary.duplicates, failed: summary.failed.length,
      missing: summary.missing.length, boxesAdded: summary.boxesAdded, readerBoxesAdded,
    })
  })
  return summary
}

function finish(summary: ImportSummary, started: number): ImportSummary {
  summary.seconds = (performance.now() - started) / 1000
  const processed = summary.imported + summary.duplicates + summary.failed.length
  summary.imagesPerSecond = summary.seconds > 0 ? processed / summary.seconds : 0
  return summary
}

export type { ImportFailure }
