import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve, sep } from 'node:path'
import sharp from 'sharp'
import type { ImportFailure, ImportSummary } from '../../shared/domain'
import { decodeImage } from '../cases/imageIntake'
import { sha256Of } from '../model/hashing'
import { reasonOf } from '../cases/failureReason'
import { describeFsError, entryName, MAX_FILE_BYTES, readRegularFile } from '../cases/regularFile'
import type { CaseStore } from '../store/caseStore'
import { decodeDicom, looksLikeDicom, type DecodedDicom } from './dicomDecode'
import { Pseudonymizer } from './pseudonyms'

export interface DicomImportRequest {
  dicomDir: string
  /** data folder: derived images go to <dataDir>/images, pseudonym keys beside the database */
  dataDir: string
}

interface Entry {
  /** bytes of the path: a name that is not UTF-8 is still opened by what it is */
  path: Buffer
  /** relative to the chosen folder, for messages (bytes that are not UTF-8 as \xNN) */
  name: string
}

/**
 * Every entry under the folder that is not a folder, in name order. Symbolic links to folders are
 * not followed (no loops); everything else is yielded and the reader refuses what is not a regular
 * file, so a FIFO or a socket in the folder is reported instead of silently skipped. A subfolder
 * that cannot be listed is reported and the rest walked.
 */
function walk(dir: Buffer, prefix: string, failed: ImportFailure[], out: Entry[] = []): Entry[] {
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true, encoding: 'buffer' })
  } catch (error) {
    failed.push({ name: prefix || '.', reason: `folder ${describeFsError(error)}` })
    return out
  }
  const named = entries.map((entry) => ({ entry, ...entryName(entry.name) })).sort((a, b) => a.name.localeCompare(b.name))
  for (const { entry, name } of named) {
    const path = Buffer.concat([dir, Buffer.from(sep), entry.name])
    const relative = prefix ? `${prefix}${sep}${name}` : name
    if (entry.isDirectory()) walk(path, relative, failed, out)
    else out.push({ path, name: relative })
  }
  return out
}

/**
 * The decoded pixels as a 16-bit gray PNG: the one format the rest of the workstation (viewer,
 * preprocessing, thumbnails) reads. Values are scaled linearly from [min, max] to [0, 65535]; the
 * file's default window is mapped the same way and kept with the case.
 */
async function toPng16(image: DecodedDicom): Promise<{ png: Buffer; window: { center: number; width: number } | null }> {
  const range = image.max - image.min || 1
  const scale = 65535 / range
  const values = new Uint16Array(image.pixels.length)
  for (let i = 0; i < values.length; i++) values[i] = Math.round((image.pixels[i] - image.min) * scale)
  const png = await sharp(values, { raw: { width: image.width, height: image.height, channels: 1 } }).toColourspace('grey16').png({ compressionLevel: 6 }).toBuffer()
  const window = image.window ? { center: (image.window.center - image.min) * scale, width: image.window.width * scale } : null
  return { png, window }
}

/**
 * Imports a folder of DICOM files (recursively), de-identified on the way in: only pseudonyms, sex,
 * age, view and pixel spacing reach the case database. Same contract as the NIH import: a file that
 * cannot be read is reported by name and skipped, the rest commits, and re-imports add nothing twice.
 */
export async function importDicom(store: CaseStore, request: DicomImportRequest, hooks: { onProgress?: (done: number, total: number) => void; actor?: string } = {}): Promise<ImportSummary & { warnings: string[] }> {
  const started = performance.now()
  const root = resolve(request.dicomDir)
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`Cannot read the DICOM folder ${root}`)
  const unlisted: ImportFailure[] = []
  const files = walk(Buffer.from(root), '', unlisted)
  const imagesDir = join(request.dataDir, 'images')
  mkdirSync(imagesDir, { recursive: true })
  const pseudonyms = new Pseudonymizer(request.dataDir)
  const summary: ImportSummary & { warnings: string[] } = {
    scanned: files.length, imported: 0, duplicates: 0, failed: unlisted, missing: [], unlabelled: [], labelsAdded: 0, boxesAdded: 0,
    boxesSkipped: [], seconds: 0, imagesPerSecond: 0, warnings: [],
  }
  try {
    let done = 0
    for (const { path: file, name } of files) {
      try {
        const bytes = await readRegularFile(file, { name, maxBytes: MAX_FILE_BYTES })
        if (!looksLikeDicom(bytes)) {
          summary.failed.push({ name, reason: 'not a DICOM Part 10 file (no DICM marker)' })
          continue
        }
        const sha256 = sha256Of(bytes)
        if (store.cases.findBySha(sha256)) {
          summary.duplicates++
          continue
        }
        const image = await decodeDicom(bytes, name)
        const { png, window } = await toPng16(image)
        const derived = join(imagesDir, `${sha256}.png`)
        writeFileSync(derived, png)
        const intake = await decodeImage(png, name)
        const at = new Date().toISOString()
        // Sealed before the case commits (when re-identification is on), so no case lacks its record.
        const names = pseudonyms.assign(image.identity, sha256)
        store.transaction(() => {
          const patientId = store.cases.ensurePatient(names.patient, image.sex, at)
          const caseId = store.cases.insert({
            imageName: names.image, patientId, path: derived, sha256, format: 'png',
            width: image.width, height: image.height, bitDepth: 16, channels: 1, view: image.viewPosition, age: image.age, sex: image.sex,
            followUp: null, originalWidth: image.width, originalHeight: image.height,
            pixelSpacingX: image.pixelSpacing?.[1] ?? null, pixelSpacingY: image.pixelSpacing?.[0] ?? null, importedAt: at,
            sourceFormat: 'dicom', windowCenter: window?.center ?? null, windowWidth: window?.width ?? null,
          })
          store.cases.putThumbnail(caseId, intake.thumbnail.mime, intake.thumbnail.width, intake.thumbnail.height, intake.thumbnail.data)
        })
        summary.imported++
        // Warnings only for files that imported: a failed file is named once, in `failed`.
        if (image.burnedInAnnotation) summary.warnings.push(`${name}: BurnedInAnnotation is YES — identifying text may be in the pixels; review before sharing`)
        for (const note of image.notes) summary.warnings.push(`${name}: ${note}`)
      } catch (error) {
        summary.failed.push({ name, reason: reasonOf(error, name) })
      } finally {
        hooks.onProgress?.(++done, files.length)
      }
    }
  } finally {
    pseudonyms.close()
  }
  summary.seconds = (performance.now() - started) / 1000
  summary.imagesPerSecond = summary.seconds ? (summary.imported + summary.duplicates) / summary.seconds : 0
  // The audit leaves out the folder path: a path can carry a patient's name.
  store.audit.append(hooks.actor ?? 'system', 'cases.import.dicom', null, { imported: summary.imported, duplicates: summary.duplicates, failed: summary.failed.length, warnings: summary.warnings.length })
  return summary
}
