import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { encodeNpy } from '../explain/npy'
import { modelInputPixels } from '../model/modelInputs'
import { folderImages, readImageList, readSplitImages } from '../training/tensorImageList'
import { UsageError, type CliContext } from './cliContext'

export const PREPROCESS_USAGE =
  'cxr-lens preprocess --images DIR [--list FILE | --split FILE] --out DIR [--model ID [--version V]] [--json]'

/** The index beside the tensors: what training/reference/common.py checks before it reads one. */
export const TENSOR_INDEX = 'tensors.json'
const INDEX_FORMAT = 'cxr-lens-model-inputs'
// A few images at once keep libvips' threads busy without holding many decoded 1024² images.
const CONCURRENCY = 4

interface Written {
  image: string
  file: string
  dtype: 'uint8' | 'float32'
}

/**
 * Writes the engine's model-input pixels of each image (src/main/model/modelInputs.ts: decode,
 * channels, lanczos3 resize, before normalisation) as `<image>.npy`, [C, H, W], with tensors.json
 * naming the model, input and normalisation, so offline training reads exactly what the app feeds.
 */
export async function runPreprocess(ctx: CliContext, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      images: { type: 'string' },
      list: { type: 'string' },
      split: { type: 'string' },
      out: { type: 'string' },
      model: { type: 'string' },
      version: { type: 'string' },
      json: { type: 'boolean' },
      'data-dir': { type: 'string' },
    },
  })
  if (!values.images || !values.out) throw new UsageError(`preprocess needs --images DIR and --out DIR\nusage: ${PREPROCESS_USAGE}`)
  if (values.list && values.split) throw new UsageError('give --list FILE or --split FILE, not both')
  const imagesDir = resolve(values.images)
  const names = values.list ? readImageList(values.list) : values.split ? readSplitImages(values.split) : folderImages(imagesDir)
  const { pkg } = ctx.registry.get(values.model, values.version)
  const manifest = pkg.manifest
  const out = resolve(values.out)
  mkdirSync(out, { recursive: true })
  const index = {
    format: INDEX_FORMAT,
    formatVersion: 1,
    model: { id: manifest.id, version: manifest.version, sha256: manifest.sha256 },
    input: { channels: manifest.input.channels, height: manifest.input.height, width: manifest.input.width },
    layout: 'CHW',
    preprocess: { resize: manifest.preprocess.resize, kernel: 'lanczos3', libvips: sharp.versions.vips },
    normalized: false,
    normalization: manifest.preprocess.normalization,
  }
  refuseOtherModel(out, index)

  const written: Written[] = []
  const failed: Array<{ image: string; error: string }> = []
  const showProgress = process.stderr.isTTY && !values.json
  let next = 0
  const worker = async () => {
    for (let i = next++; i < names.length; i = next++) {
      const image = names[i]
      const path = join(imagesDir, image)
      try {
        if (!existsSync(path)) throw new Error(`${image}: not found in ${imagesDir}`)
        const pixels = await modelInputPixels(path, manifest, image)
        const file = `${image}.npy`
        writeFileSync(join(out, file), encodeNpy(pixels.data, pixels.shape))
        written.push({ image, file, dtype: pixels.data instanceof Uint8Array ? 'uint8' : 'float32' })
      } catch (error) {
        failed.push({ image, error: (error as Error).message })
      }
      if (showProgress) process.stderr.write(`\rpreprocess ${written.length + failed.length}/${names.length}`)
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, names.length) }, worker))
  if (showProgress) process.stderr.write('\n')
  const order = new Map(names.map((n, i) => [n, i]))
  written.sort((a, b) => order.get(a.image)! - order.get(b.image)!)
  // Written last, whole, by rename: a reader never sees an index naming tensors not yet on disk.
  const indexPath = join(out, TENSOR_INDEX)
  writeFileSync(`${indexPath}.partial`, JSON.stringify({ ...index, images: mergedImages(indexPath, written) }, null, 1))
  renameSync(`${indexPath}.partial`, indexPath)

  const shape = [index.input.channels === 'gray' ? 1 : 3, index.input.height, index.input.width]
  if (values.json) {
    console.log(JSON.stringify({ model: index.model, out, shape, written: written.length, failed }))
  } else {
    console.log(
      `wrote ${written.length} tensor(s) [${shape.join(', ')}] for ${manifest.id} ${manifest.version} to ${out}, failed ${failed.length}`,
    )
    for (const f of failed) console.log(`  ${f.error}`)
  }
  return failed.length ? 3 : 0
}

/** A folder holds one model input's tensors: mixing two sizes or models would train on the wrong pixels. */
function refuseOtherModel(out: string, index: { model: object; input: object; preprocess: { resize: string } }): void {
  const path = join(out, TENSOR_INDEX)
  if (!existsSync(path)) return
  let old: { format?: string; model?: object; input?: object; preprocess?: { resize?: string } }
  try {
    old = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new Error(`${path}: not a readable tensor index (${(error as Error).message}); choose another --out`)
  }
  const same =
    old.format === INDEX_FORMAT &&
    JSON.stringify(old.model) === JSON.stringify(index.model) &&
    JSON.stringify(old.input) === JSON.stringify(index.input) &&
    old.preprocess?.resize === index.preprocess.resize
  if (!same) throw new Error(`${out} holds tensors of another model or input (${path}); choose another --out`)
}

/** A second run into the same folder (another split, a retry of failed files) adds to the index. */
function mergedImages(path: string, written: Written[]): Written[] {
  if (!existsSync(path)) return written
  const fresh = new Set(written.map((w) => w.image))
  const old = (JSON.parse(readFileSync(path, 'utf8')) as { images?: Written[] }).images ?? []
  return [...old.filter((w) => !fresh.has(w.image)), ...written]
}
