/**
 * `npm run bench:import [-- DIR LABELS BOXES]`: imports a folder of NIH PNGs (default
 * ../shared/data/nih/images-1024, 1024² images) into a fresh temporary database and prints one JSON
 * line with the measured rate: {"images", "seconds", "images_per_s", "cores"}.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { importNih } from '../src/main/cases/nihImporter'
import { CaseStore } from '../src/main/store/caseStore'

const [
  images = '../shared/data/nih/images-1024',
  labels = '../shared/data/nih/labels.csv',
  boxes = '../shared/data/nih/BBox_List_dev.csv',
] = process.argv.slice(2)
async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cxr-bench-import-'))
  try {
    const store = CaseStore.open(join(dir, 'bench.sqlite'))
    const summary = await importNih(store, { imagesDir: resolve(images), labelsCsv: resolve(labels), boxesCsv: resolve(boxes) })
    store.close()
    console.log(
      JSON.stringify({
        images: summary.imported,
        failed: summary.failed.length,
        seconds: Math.round(summary.seconds * 1000) / 1000,
        images_per_s: Math.round(summary.imagesPerSecond * 10) / 10,
        boxes: summary.boxesAdded,
        cores: availableParallelism(),
      }),
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

void main()
