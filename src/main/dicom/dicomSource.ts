import { mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { decodeImage, type DecodedImage } from '../cases/imageIntake'
import type { ModelInputTarget } from '../cases/modelInputCache'
import type { ImportItem, ImportSource, ImportTally } from '../cases/importSource'
import type { CaseStore } from '../store/caseStore'
import { decodeDicom, looksLikeDicom, type DecodedDicom } from './dicomDecode'
import { walkFolder } from './dicomFolder'
import { toPng16 } from './png16'
import { Pseudonymizer } from './pseudonyms'
import { DataFolder } from '../config/dataFolder'
import { LocalVault } from '../reid/localVault'
import type { CaseSourceKind } from '../store/caseSourceRepository'
import { sealOriginalUids } from './originalUids'

export interface DicomImportRequest {
  dicomDir: string
  /** data folder: derived images go to <dataDir>/images, pseudonym keys beside the database */
  dataDir: string
}

interface Prepared {
  image: DecodedDicom
  names: { patient: string; image: string }
  derived: string
  window: { center: number; width: number } | null
  thumbnail: DecodedImage['thumbnail']
  /** the original UIDs sealed by the local vault; null when the file lacks one */
  sealedUids: string | null
}

/**
 * A decode holds the file, its pixels as numbers, the 16-bit copy and the PNG: about four times the
 * file for uncompressed data. Charged so, a file at the per-file cap decodes alone and ordinary
 * CR/DX files (a few to 40 MiB) two at a time.
 */
const DECODE_COST_FACTOR = 4
/**
 * The DICOM decoders (parsing, JPEG Lossless, the WASM codecs) run on the main thread; only file
 * reads and the PNG encode leave it. Two at once keep it and the libuv pool busy without doubling
 * the memory of two worst-case decodes more than once.
 */
const DICOM_CONCURRENCY = 2

/** Shared by every DICOM-bytes source (a folder now, a PACS next): from the bytes to a de-identified case. */
export abstract class DicomSource<M> implements ImportSource<M, Prepared> {
  readonly unit = 'files'
  readonly concurrency = DICOM_CONCURRENCY
  protected readonly imagesDir: string
  private pseudonyms: Pseudonymizer | null = null
  private vault: LocalVault | null = null
  /** Recorded with each case's sealed UIDs; a PACS source names its connection. */
  protected origin: { kind: CaseSourceKind; pacsName: string | null } = { kind: 'folder', pacsName: null }
  /** Where the default model's input of each derived image goes (cases/modelInputCache.ts); none: analysis decodes it. */
  modelInputs: ModelInputTarget | null = null

  constructor(protected readonly dataDir: string) {
    this.imagesDir = new DataFolder(dataDir).images
  }

  abstract list(summary: ImportTally): { items: Iterable<ImportItem<M>> | AsyncIterable<ImportItem<M>>; total?: number }
  abstract audit(summary: ImportTally, cancelled: boolean): { action: string; detail: Record<string, unknown> }

  /** Opens the pseudonym key and (when re-identification is on) the sealed log; a bad setting fails the import here, before any read. */
  protected open(): void {
    mkdirSync(this.imagesDir, { recursive: true })
    this.pseudonyms = new Pseudonymizer(this.dataDir)
    this.vault = LocalVault.open(this.dataDir)
  }

  cost(size: number): number {
    return size * DECODE_COST_FACTOR
  }

  refuse(bytes: Uint8Array): string | null {
    return looksLikeDicom(bytes) ? null : 'not a DICOM Part 10 file (no DICM marker)'
  }

  async prepare(bytes: Uint8Array, sha256: string, item: ImportItem<M>): Promise<Prepared> {
    const image = await decodeDicom(bytes, item.name)
    const { png, window } = await toPng16(image)
    const derived = join(this.imagesDir, `${sha256}.png`)
    writeFileSync(derived, png)
    const { thumbnail, modelInput } = await decodeImage(png, item.name, this.modelInputs?.spec ?? null)
    // The derived image is what analysis reads: its model input is kept from it, so the two agree.
    if (modelInput) await this.modelInputs?.cache.put(sha256, this.modelInputs.spec, modelInput).catch(() => null)
    // Sealed before the case commits (when re-identification is on), so no case lacks its record.
    const names = this.pseudonyms!.assign(image.identity, sha256)
    // Sealed here, off the commit's transaction; what results sent back to the PACS must reference.
    const sealedUids = sealOriginalUids(this.vault!, image.uids, sha256)
    return { image, names, derived, window, thumbnail, sealedUids }
  }

  insert(store: CaseStore, prepared: Prepared, sha256: string, item: ImportItem<M>, summary: ImportTally): number {
    const { image, names, derived, window, thumbnail, sealedUids } = prepared
    const at = new Date().toISOString()
    const patientId = store.cases.ensurePatient(names.patient, image.sex, at)
    const caseId = store.cases.insert({
      imageName: names.image,
      patientId,
      path: derived,
      sha256,
      format: 'png',
      width: image.width,
      height: image.height,
      bitDepth: 16,
      channels: 1,
      view: image.viewPosition,
      age: image.age,
      sex: image.sex,
      followUp: null,
      originalWidth: image.width,
      originalHeight: image.height,
      pixelSpacingX: image.pixelSpacing?.[1] ?? null,
      pixelSpacingY: image.pixelSpacing?.[0] ?? null,
      importedAt: at,
      sourceFormat: 'dicom',
      windowCenter: window?.center ?? null,
      windowWidth: window?.width ?? null,
      acquisitionFlag: image.acquisitionFlag,
    })
    store.cases.putThumbnail(caseId, thumbnail.mime, thumbnail.width, thumbnail.height, thumbnail.data)
    if (sealedUids) store.caseSources.put(caseId, this.origin.kind, this.origin.pacsName, sealedUids, at)
    // Warnings only for files that imported: a failed file is named once, in `failed`.
    if (image.burnedInAnnotation)
      summary.warnings.push(`${item.name}: BurnedInAnnotation is YES — identifying text may be in the pixels; review before sharing`)
    for (const note of image.notes) summary.warnings.push(`${item.name}: ${note}`)
    return caseId
  }

  close(): void {
    this.pseudonyms?.close()
  }
}

/** A folder of DICOM files, walked recursively (see walkFolder). */
export class DicomFolderSource extends DicomSource<null> {
  private readonly root: string

  constructor(request: DicomImportRequest) {
    super(request.dataDir)
    this.root = resolve(request.dicomDir)
  }

  list(summary: ImportTally) {
    if (!statSync(this.root, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`Cannot read the DICOM folder ${this.root}`)
    const files = walkFolder(Buffer.from(this.root), '', summary.failed)
    summary.scanned = files.length
    this.open()
    return { items: files.map((file) => ({ name: file.name, path: file.path, meta: null })), total: files.length }
  }

  /** The audit leaves out the folder path: a path can carry a patient's name. */
  audit(summary: ImportTally) {
    return {
      action: 'cases.import.dicom',
      detail: {
        imported: summary.imported,
        duplicates: summary.duplicates,
        failed: summary.failed.length,
        warnings: summary.warnings.length,
      },
    }
  }
}
