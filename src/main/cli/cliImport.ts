import { parseArgs } from 'node:util'
import type { ImportSummary } from '../../shared/domain'
import { BOX_IMAGE_NOT_IN_FOLDER, importNih } from '../cases/nihImporter'
import { log } from '../logging/log'
import { importDicom } from '../dicom/dicomImporter'
import type { CaseStore } from '../store/caseStore'
import { UsageError } from './cliContext'

const LIST_LIMIT = 20

/**
 * The import finished (what could be imported is committed) but refused something: an image or DICOM
 * file that failed, a file name that is not UTF-8, a CSV row refused (wrong column count, unknown
 * finding, bad box, unknown author). Files already imported and CSV rows naming images of other
 * folders are not refusals: re-running an import, or importing a subset, still exits 0.
 */
export const EXIT_IMPORT_INCOMPLETE = 3

export function importExitCode(summary: ImportSummary): number {
  const refusedBoxes = summary.boxesSkipped.filter((b) => b.reason !== BOX_IMAGE_NOT_IN_FOLDER)
  return summary.failed.length > 0 || refusedBoxes.length > 0 ? EXIT_IMPORT_INCOMPLETE : 0
}

/** Counts only in the log: names of files and folders can carry a patient's name. */
function logSummary(kind: string, summary: ImportSummary): void {
  log().info('import finished', {
    kind,
    imported: summary.imported,
    duplicates: summary.duplicates,
    failed: summary.failed.length,
    missing: summary.missing.length,
    boxesAdded: summary.boxesAdded,
    boxesSkipped: summary.boxesSkipped.length,
    seconds: Number(summary.seconds.toFixed(2)),
  })
}

export const IMPORT_USAGE = 'cxr-lens import --images DIR --labels CSV [--boxes CSV] [--json] | cxr-lens import --dicom DIR [--json]'

function listed(title: string, items: string[], all: boolean): string[] {
  if (items.length === 0) return []
  const shown = all ? items : items.slice(0, LIST_LIMIT)
  const more = items.length - shown.length
  return [
    `${title} (${items.length}):`,
    ...shown.map((item) => `  ${item}`),
    ...(more > 0 ? [`  … and ${more} more (--verbose lists all)`] : []),
  ]
}

export function formatImportSummary(summary: ImportSummary, verbose = false): string {
  return [
    `imported ${summary.imported}, skipped ${summary.duplicates} already imported, failed ${summary.failed.length}` +
      ` (${summary.scanned} images scanned)`,
    `labels added ${summary.labelsAdded}, boxes added ${summary.boxesAdded}, boxes skipped ${summary.boxesSkipped.length}`,
    `${summary.imagesPerSecond.toFixed(1)} images/s, ${summary.seconds.toFixed(2)} s`,
    ...listed(
      'failed',
      summary.failed.map((f) => `${f.name}: ${f.reason}`),
      true,
    ),
    ...listed('CSV rows naming images not in the folder, skipped', summary.missing, verbose),
    ...listed('images without a label row, imported unlabelled', summary.unlabelled, verbose),
    // Refused box rows are always listed in full (they make the exit code 3); boxes of other folders' images only with --verbose.
    ...listed(
      'box rows refused',
      summary.boxesSkipped.filter((f) => f.reason !== BOX_IMAGE_NOT_IN_FOLDER).map((f) => `${f.name}: ${f.reason}`),
      true,
    ),
    ...listed(
      'boxes of images not in the folder, skipped',
      summary.boxesSkipped.filter((f) => f.reason === BOX_IMAGE_NOT_IN_FOLDER).map((f) => f.name),
      verbose,
    ),
  ].join('\n')
}

export async function runImport(store: CaseStore, args: string[], dataDir: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      images: { type: 'string' },
      labels: { type: 'string' },
      boxes: { type: 'string' },
      dicom: { type: 'string' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
    },
  })
  if (values.dicom) {
    const summary = await importDicom(store, { dicomDir: values.dicom, dataDir }, { actor: 'cli' })
    console.log(
      values.json
        ? JSON.stringify(summary)
        : [formatImportSummary(summary, values.verbose), ...summary.warnings.map((w) => `warning: ${w}`)].join('\n'),
    )
    logSummary('dicom', summary)
    return importExitCode(summary)
  }
  if (!values.images || !values.labels) throw new UsageError(`import needs --images and --labels\nusage: ${IMPORT_USAGE}`)
  const showProgress = process.stderr.isTTY && !values.json
  const summary = await importNih(
    store,
    { imagesDir: values.images, labelsCsv: values.labels, boxesCsv: values.boxes },
    {
      actor: 'cli',
      onProgress: showProgress ? (done, total) => process.stderr.write(`\rimporting ${done}/${total}`) : undefined,
    },
  )
  if (showProgress) process.stderr.write('\n')
  console.log(
    values.json
      ? JSON.stringify(summary)
      : [formatImportSummary(summary, values.verbose), ...(summary.warnings ?? []).map((w) => `warning: ${w}`)].join('\n'),
  )
  logSummary('nih', summary)
  return importExitCode(summary)
}
