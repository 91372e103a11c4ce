import { readFile } from 'node:fs/promises'
import { DisplayRenditions } from '../../cases/displayRendition'
import { mimeOf } from '../../cases/imageIntake'
import { DataFolder } from '../../config/dataFolder'
import { log } from '../../logging/log'
import { NotFoundError } from '../../errors/domainErrors'
import type { Services } from '../../services/openServices'
import { caseDetail } from '../caseDetail'
import type { HandlersOf } from './types'

function plainBytes(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

/** The worklist, one case with its image and thumbnail, and the finding counts. */
export function caseHandlers(
  core: Services,
): HandlersOf<'cases:list' | 'cases:get' | 'cases:image' | 'cases:thumbnail' | 'cases:findings'> {
  const { store } = core
  // The worklist shows the default model's top findings; none when no model is installed.
  const defaultModel = () => {
    const first = core.registry.list()[0]
    return first ? { id: first.pkg.manifest.id, version: first.pkg.manifest.version } : undefined
  }
  const renditions = new DisplayRenditions(new DataFolder(core.dataDir).displayRenditions)
  const requireCase = (caseId: number) => {
    const found = store.cases.get(caseId)
    if (!found) throw new NotFoundError(`Case ${caseId}`)
    return found
  }
  return {
    'cases:list': (query) => store.worklist.query(query, { model: defaultModel() }),
    'cases:get': ({ caseId, readerId }) => caseDetail(store, requireCase(caseId), { readerId, model: defaultModel() }),
    'cases:image': async ({ caseId, rendition }) => {
      const found = requireCase(caseId)
      // A large image's display rendition (made at import, else now, once); a small one is served as stored.
      if (rendition === 'display') {
        const shown = await renditions.get(found, found.path).catch((error: Error) => {
          // the stored file is served instead (its read below names the problem if it has one)
          log().warn('display rendition not made', { detail: `case ${caseId}: ${error.message}` })
          return null
        })
        if (shown) return { mime: 'image/png', bytes: shown.bytes }
      }
      try {
        return { mime: mimeOf(found.format), bytes: plainBytes(await readFile(found.path)) }
      } catch (error) {
        throw new Error(
          `The image file of ${found.imageName} cannot be read at ${found.path} (${(error as NodeJS.ErrnoException).code ?? 'error'}); was it moved?`,
        )
      }
    },
    'cases:thumbnail': ({ caseId }) => {
      const thumb = store.cases.thumbnail(caseId)
      if (!thumb) throw new NotFoundError(`Thumbnail of case ${caseId}`)
      return { mime: thumb.mime, bytes: plainBytes(thumb.data) }
    },
    'cases:findings': () => store.worklist.findingCounts(),
  }
}
