import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** The shared NIH sample beside the repo (read-only; never copied into it). */
export const NIH = resolve(__dirname, '../../../shared/data/nih')
export const NIH_1024 = join(NIH, 'images-1024')
export const NIH_256 = join(NIH, 'images-256')
export const LABELS_CSV = join(NIH, 'labels.csv')
export const BOXES_CSV = join(NIH, 'BBox_List_dev.csv')
export const HAS_NIH = existsSync(NIH_1024) && existsSync(LABELS_CSV)

export function tempDir(prefix = 'cxr-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) }
}

/** A folder of symlinks to chosen shared images, optionally with extra files written in. */
export function imageFolder(root: string, source: string, names: string[], extra: Record<string, Uint8Array | string> = {}): string {
  const dir = join(root, 'images')
  mkdirSync(dir, { recursive: true })
  for (const name of names) symlinkSync(join(source, name), join(dir, name))
  for (const [name, data] of Object.entries(extra)) writeFileSync(join(dir, name), data)
  return dir
}

/** NIH box rows (1024 space) per image, read independently of the importer's parser. */
export function csvBoxes(): Map<string, Array<{ finding: string; x: number; y: number; w: number; h: number }>> {
  const map = new Map<string, Array<{ finding: string; x: number; y: number; w: number; h: number }>>()
  for (const line of readFileSync(BOXES_CSV, 'utf8').trim().split(/\r?\n/).slice(1)) {
    const [image, finding, x, y, w, h] = line.split(',')
    const list = map.get(image) ?? []
    list.push({ finding: finding === 'Infiltrate' ? 'Infiltration' : finding, x: +x, y: +y, w: +w, h: +h })
    map.set(image, list)
  }
  return map
}

/** The bundled reference model's folder and version, read from its manifest so a retrained model needs no test edits. */
export const REFERENCE_MODEL_DIR = resolve(__dirname, '../../resources/models/cxr-mobilenet-v1')
export const REFERENCE_VERSION: string = JSON.parse(readFileSync(join(REFERENCE_MODEL_DIR, 'manifest.json'), 'utf8')).version
