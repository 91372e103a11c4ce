import { readdirSync, readFileSync, statSync } from 'node:fs'
import { basename } from 'node:path'
import { clip, columnIndex, CsvError, parseCsv } from '../cases/csv'

/**
 * Which images `cxr-lens preprocess` turns into model-input tensors: every PNG/JPEG in the folder,
 * the names of a list file (one per line), or the `image` column of a split CSV such as
 * training/reference/split.csv. Names are plain file names inside the images folder: a name with a
 * path separator or `..` could read (and name an output) outside it, so it is refused.
 */
const IMAGE_FILE = /\.(png|jpe?g)$/i

function checkName(name: string, where: string): string {
  if (name === '' || name === '.' || name === '..' || name !== basename(name) || /[\\/\0]/.test(name)) {
    throw new Error(`${where}: "${clip(name)}" is not a plain image file name`)
  }
  return name
}

function readText(path: string, what: string): string {
  if (!statSync(path, { throwIfNoEntry: false })?.isFile()) throw new Error(`Cannot read the ${what} ${path}`)
  return readFileSync(path, 'utf8')
}

/** One name a line; blank lines and lines starting with # are skipped; a repeated name counts once. */
export function readImageList(path: string): string[] {
  const names = new Set<string>()
  readText(path, 'image list')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const line = raw.trim()
      if (line && !line.startsWith('#')) names.add(checkName(line, `${basename(path)}, line ${i + 1}`))
    })
  if (names.size === 0) throw new Error(`${path} names no image`)
  return [...names]
}

/** The `image` column of a split CSV (all its splits: the loader picks the split it needs). */
export function readSplitImages(path: string): string[] {
  const file = basename(path)
  const [header, ...rows] = parseCsv(readText(path, 'split file'), file)
  if (!header) throw new Error(`${path} is empty`)
  const at = columnIndex(header, file, ['image']).get('image')!
  const names = new Set<string>()
  for (const row of rows) {
    const name = row.fields[at]?.trim() ?? ''
    if (name === '') throw new CsvError(file, row.line, 'the image column is empty')
    names.add(checkName(name, `${file}, line ${row.line}`))
  }
  if (names.size === 0) throw new Error(`${path} names no image`)
  return [...names]
}

/** Every PNG/JPEG directly in the folder, sorted. */
export function folderImages(dir: string): string[] {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`Cannot read the images folder ${dir}`)
  const names = readdirSync(dir)
    .filter((n) => IMAGE_FILE.test(n))
    .sort()
  if (names.length === 0) throw new Error(`${dir} holds no PNG or JPEG image`)
  return names
}
