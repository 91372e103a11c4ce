import { readdirSync, statSync } from 'node:fs'
import { acquisitionFlag } from './acquisitionCheck'
import { extname, join, resolve } from 'node:path'
import { clipBox } from '../../shared/boxClip'
import type { ImportRequest } from '../../shared/domain'
import type { CaseStore } from '../store/caseStore'
import type { DisplayRenditions } from './displayRendition'
import type { ModelInputTarget } from './modelInputCache'
import { decodeImage, IMPORTABLE_EXTENSIONS, type DecodedImage } from './imageIntake'
import type { ImportItem, ImportSource, ImportTally } from './importSource'
import { readNihBoxes, readNihLabels, type NihBoxRow, type NihLabelRow, type Parsed } from './nihCsv'
import { boxAttribution, hasReaderBox, NIH_BOX_SPACE, scaleNihBox } from './nihBoxes'
import { describeFsError, entryName, NON_UTF8_NAME } from './regularFile'

const AUTHOR = 'NIH ChestX-ray14'
/** A box row for an image of another folder: normal when the full box list meets a subset of images. */
export const BOX_IMAGE_NOT_IN_FOLDER = 'image not in the folder'

type Prepared = DecodedImage

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
 * An NIH ChestX-ray14 layout: a folder of PNG/JPEG images, Data_Entry_2017.csv labels and
 * optionally the box list. Both CSVs are parsed in list(), before anything is read or written, so a
 * malformed CSV fails the import with nothing stored. Boxes are added once every image committed.
 */
export class NihFolderSource implements ImportSource<NihLabelRow | undefined, Prepared> {
  readonly unit = 'images'
  private readonly imagesDir: string
  private files: string[] = []
  private readerBoxesAdded = 0
  private labelOf = new Map<string, NihLabelRow>()
  private labels: Parsed<NihLabelRow> = { rows: [], rejected: [] }
  private boxes: Parsed<NihBoxRow> = { rows: [], rejected: [] }
  /** image name → its case, for the boxes */
  private readonly caseOf = new Map<string, { id: number; width: number; height: number }>()
  private readonly at = new Date().toISOString()

  /**
   * `renditions`: where large images' display renditions go (none for an in-memory store);
   * `modelInputs`: where the default model's input of each image goes, and that model's preprocessing (none without a model).
   */
  constructor(
    private readonly request: ImportRequest,
    private readonly renditions: DisplayRenditions | null = null,
    private readonly modelInputs: ModelInputTarget | null = null,
  ) {
    this.imagesDir = resolve(request.imagesDir)
  }

  list(summary: ImportTally) {
    this.labels = readNihLabels(resolve(this.request.labelsCsv))
    this.boxes = this.request.boxesCsv ? readNihBoxes(resolve(this.request.boxesCsv)) : { rows: [], rejected: [] }
    const { files, badNames } = listImages(this.imagesDir)
    this.files = files
    this.labelOf = new Map(this.labels.rows.map((row) => [row.image, row]))
    const inFolder = new Set(files)
    summary.scanned = files.length + badNames.length
    summary.failed.push(...this.labels.rejected, ...badNames.map((name) => ({ name, reason: NON_UTF8_NAME })))
    summary.missing = this.labels.rows.filter((row) => !inFolder.has(row.image)).map((row) => row.image)
    summary.boxesSkipped.push(...this.boxes.rejected)
    const items: Array<ImportItem<NihLabelRow | undefined>> = files.map((name) => ({
      name,
      path: join(this.imagesDir, name),
      meta: this.labelOf.get(name),
    }))
    return { items, total: files.length }
  }

  async prepare(bytes: Uint8Array, sha256: string, item: ImportItem): Promise<Prepared> {
    const decoded = await decodeImage(bytes, item.name, this.modelInputs?.spec ?? null)
    // A large image's display rendition, made while its bytes are in memory, so that the viewer's
    // first opening reads a file; should it fail, the viewer makes it when first asked. Likewise the
    // model's input, resampled from this decode: without it, analysis decodes the image itself.
    await Promise.all([
      this.renditions?.get({ sha256, width: decoded.width, height: decoded.height, bitDepth: decoded.bitDepth }, bytes).catch(() => null),
      decoded.modelInput && this.modelInputs?.cache.put(sha256, this.modelInputs.spec, decoded.modelInput).catch(() => null),
    ])
    return { ...decoded, modelInput: null } // written: its pixels need not wait for the commit
  }

  insert(store: CaseStore, image: Prepared, sha256: string, item: ImportItem<NihLabelRow | undefined>, summary: ImportTally): number {
    const row = item.meta
    const patientId = row?.patientId ? store.cases.ensurePatient(row.patientId, row.sex, this.at) : null
    const caseId = store.cases.insert({
      imageName: item.name,
      patientId,
      path: String(item.path),
      sha256,
      format: image.format,
      width: image.width,
      height: image.height,
      bitDepth: image.bitDepth,
      channels: image.channels,
      view: row?.view ?? null,
      age: row?.age ?? null,
      sex: row?.sex ?? null,
      followUp: row?.followUp ?? null,
      originalWidth: row?.originalWidth ?? null,
      originalHeight: row?.originalHeight ?? null,
      pixelSpacingX: row?.pixelSpacingX ?? null,
      pixelSpacingY: row?.pixelSpacingY ?? null,
      importedAt: this.at,
      acquisitionFlag: acquisitionFlag({ viewPosition: row?.view }, 'NIH CSV'),
    })
    const t = image.thumbnail
    store.cases.putThumbnail(caseId, t.mime, t.width, t.height, t.data)
    summary.warnings.push(...(this.labels.warnings?.get(item.name) ?? []))
    return caseId
  }

  /** The dataset's labels go to the case, new or already stored (a re-import with a newer CSV adds what is new). */
  attach(store: CaseStore, caseId: number, item: ImportItem<NihLabelRow | undefined>, summary: ImportTally): void {
    const stored = store.cases.get(caseId)!
    this.caseOf.set(item.name, { id: caseId, width: stored.width, height: stored.height })
    for (const finding of item.meta?.findings ?? []) {
      if (store.annotations.addLabel(caseId, finding, 'dataset', AUTHOR, this.at)) summary.labelsAdded++
    }
  }

  /** Boxes, scaled from NIH's 1024² space to the stored image and clipped to it; none when cancelled. */
  settle(store: CaseStore, summary: ImportTally, cancelled: boolean, actor: string): void {
    summary.unlabelled = this.files.filter((name) => this.caseOf.has(name) && !this.labelOf.has(name))
    if (cancelled) return
    const inFolder = new Set(this.files)
    const attribute = boxAttribution(store, AUTHOR)
    for (const box of this.boxes.rows) {
      const target = this.caseOf.get(box.image)
      if (!target) {
        const reason = inFolder.has(box.image) ? 'its image failed to import' : BOX_IMAGE_NOT_IN_FOLDER
        summary.boxesSkipped.push({ name: `${box.image} (${box.finding})`, reason })
        continue
      }
      const clipped = clipBox(scaleNihBox(box, target.width, target.height), target.width, target.height)
      if (clipped.w <= 0 || clipped.h <= 0) {
        summary.boxesSkipped.push({ name: `${box.image} (${box.finding})`, reason: 'box lies outside the image' })
        continue
      }
      const by = attribute(box.author)
      if ('refused' in by) {
        summary.boxesSkipped.push({ name: `${box.image} (${box.finding})`, reason: by.refused })
        continue
      }
      if (by.reader) {
        if (hasReaderBox(store, target.id, by.reader.id, box.finding, clipped)) continue // imported before
        const boxId = store.annotations.addBox({
          caseId: target.id,
          finding: box.finding,
          ...clipped,
          source: 'reader',
          author: by.reader.name,
          readerId: by.reader.id,
          at: this.at,
        })
        // Who imported it, and whose it is: the box keeps its reader; the audit says it came from a file.
        store.audit.append(
          actor,
          'box.import',
          target.id,
          { boxId, readerId: by.reader.id, boxesCsv: this.request.boxesCsv ?? null, after: { finding: box.finding, ...clipped } },
          this.at,
        )
        summary.boxesAdded++
        this.readerBoxesAdded++
      } else if (
        store.annotations.addBox({
          caseId: target.id,
          finding: box.finding,
          ...clipped,
          source: 'dataset',
          author: AUTHOR,
          at: this.at,
        }) !== null
      ) {
        summary.boxesAdded++
      }
    }
  }

  audit(summary: ImportTally) {
    return {
      action: 'cases.import',
      detail: {
        imagesDir: this.imagesDir,
        labelsCsv: this.request.labelsCsv,
        boxesCsv: this.request.boxesCsv ?? null,
        boxSpace: NIH_BOX_SPACE,
        imported: summary.imported,
        duplicates: summary.duplicates,
        failed: summary.failed.length,
        missing: summary.missing.length,
        boxesAdded: summary.boxesAdded,
        readerBoxesAdded: this.readerBoxesAdded,
      },
    }
  }
}
