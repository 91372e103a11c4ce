import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { ImportRequest } from '../../shared/domain'

/**
 * The first-run sample (a few NIH ChestX-ray14 images with labels and radiologist boxes, see
 * resources/sample/README.md): `resources/sample` in the repository, or beside the packaged app
 * (electron-builder's extraResources copies it to process.resourcesPath/sample).
 */
export function bundledSampleDir(): string {
  const packaged = (process as { resourcesPath?: string }).resourcesPath
  if (packaged && existsSync(join(packaged, 'sample'))) return join(packaged, 'sample')
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'resources', 'sample', 'labels.csv'))) return join(dir, 'resources', 'sample')
  }
  return resolve('resources/sample')
}

/** The sample as an ordinary NIH import request; throws, naming the folder, when it is not there. */
export function sampleImportRequest(dir = bundledSampleDir()): ImportRequest {
  const request = { imagesDir: join(dir, 'images'), labelsCsv: join(dir, 'labels.csv'), boxesCsv: join(dir, 'boxes.csv') }
  for (const path of Object.values(request)) {
    if (!existsSync(path))
      throw new Error(`The sample cases are not installed (${path} is missing); reinstall CXR Lens or import your own cases`)
  }
  return request
}
