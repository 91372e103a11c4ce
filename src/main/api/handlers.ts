import { readFile } from 'node:fs/promises'
import type { ImportSummary, JobStatus } from '../../shared/domain'
import { mimeOf } from '../cases/imageIntake'
import type { Core } from './core'
import type { Handlers } from './dispatch'
import { NotFoundError } from '../errors/domainErrors'
import { caseDetail } from './caseDetail'
import { reidentificationStatus } from '../reid/reidentification'
import { createAnnotationHandlers } from './annotationHandlers'
import { createModelHandlers } from './modelHandlers'
import { guardAccess } from './access'
import { sampleImportRequest } from '../config/sampleDir'
import type { RequestContext } from './session'
import { machinePolicy, policyInfo } from '../config/policy'
import { currentLogFile } from '../logging/log'
import { exportDiagnostics, guardFeatures } from './operations'

/** Native file pickers exist only in the desktop shell; browser mode has none. */
export type PickPath = (kind: 'directory' | 'file', title: string) => Promise<string | null>

function plainBytes(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

/** What still answers while the case database is damaged: enough to see why and restore a backup. */
const RECOVERY_CHANNELS = new Set<string>(['app:info', 'backups:list', 'backups:restore', 'dialog:open', 'jobs:get', 'diagnostics:export'])

/** Every other channel refuses, naming the problem, until a restore has made the database sound. */
function guardDamaged(core: Core, handlers: Handlers): Handlers {
  const guarded = { ...handlers } as Record<string, (request: unknown, context: RequestContext) => unknown>
  for (const [channel, handler] of Object.entries(guarded)) {
    if (RECOVERY_CHANNELS.has(channel)) continue
    guarded[channel] = (request, context) => {
      const health = core.health
      if (health.state === 'damaged') throw new Error(`The case database is damaged (${health.problems[0]}); restore a backup first`)
      return handler(request, context)
    }
  }
  return guarded as Handlers
}

export function createHandlers(core: Core, pickPath?: PickPath): Handlers {
  // Damage first: while the database is damaged no reader can be looked up.
  return guardDamaged(core, guardAccess(core, guardFeatures(machinePolicy(), createAllHandlers(core, pickPath))))
}

function createAllHandlers(core: Core, pickPath?: PickPath): Handlers {
  const { store, jobs } = core
  // The worklist shows the default model's top findings; none when no model is installed.
  const defaultModel = () => {
    const first = core.registry.list()[0]
    return first ? { id: first.pkg.manifest.id, version: first.pkg.manifest.version } : undefined
  }
  const requireCase = (caseId: number) => {
    const found = store.cases.get(caseId)
    if (!found) throw new NotFoundError(`Case ${caseId}`)
    return found
  }
  return {
    'app:info': () => ({
      name: 'CXR Lens',
      version: core.version,
      dataDir: core.dataDir,
      schemaVersion: core.schemaVersion,
      transport: core.transport,
      nativeDialogs: pickPath !== undefined,
      database: core.health,
      reidentification: reidentificationStatus(core.dataDir),
      policy: policyInfo(machinePolicy()),
      logFile: currentLogFile(),
    }),
    'cases:list': (query) => store.worklist.query(query, { model: defaultModel() }),
    'cases:get': ({ caseId, readerId }) => caseDetail(store, requireCase(caseId), { readerId, model: defaultModel() }),
    'cases:image': async ({ caseId }) => {
      const found = requireCase(caseId)
      try {
        return { mime: mimeOf(found.format), bytes: plainBytes(await readFile(found.path)) }
      } catch (error) {
        throw new Error(`The image file of ${found.imageName} cannot be read at ${found.path} (${(error as NodeJS.ErrnoException).code ?? 'error'}); was it moved?`)
      }
    },
    'cases:thumbnail': ({ caseId }) => {
      const thumb = store.cases.thumbnail(caseId)
      if (!thumb) throw new NotFoundError(`Thumbnail of case ${caseId}`)
      return { mime: thumb.mime, bytes: plainBytes(thumb.data) }
    },
    'cases:findings': () => store.worklist.findingCounts(),
    'import:start': (request) => {
      core.background.prewarm()
      return { jobId: jobs.start('import', request) }
    },
    'import:dicom': (request) => ({ jobId: jobs.start('importDicom', request) }),
    'jobs:get': ({ jobId }) => {
      const status = jobs.get(jobId)
      if (!status) throw new NotFoundError(`Job ${jobId}`)
      return status as JobStatus<ImportSummary>
    },
    'jobs:cancel': ({ jobId }) => ({ cancelled: jobs.cancel(jobId) }),
    'dialog:open': async ({ kind, title }) => ({ path: pickPath ? await pickPath(kind, title) : null }),
    'backups:list': () => core.backups.list(),
    'backups:restore': async ({ name }) => {
      // No background worker may hold the file while it is swapped.
      await core.background.suspend()
      try {
        return core.backups.restore(name)
      } finally {
        core.background.resume()
      }
    },
    'background:status': () => core.background.status(),
    'background:focus': ({ caseId }) => {
      core.background.focus(caseId)
      return { caseId }
    },
    'background:enqueue': (request) => core.background.enqueue(request),
    'background:pause': ({ paused }) => core.background.setPaused(paused),
    'background:cancel': () => core.background.cancel(),
    'sample:import': () => {
      const request = sampleImportRequest()
      core.background.prewarm()
      return { jobId: jobs.start('import', request) }
    },
    'diagnostics:export': () => exportDiagnostics(core),
    ...createModelHandlers(core),
    ...createAnnotationHandlers(core),
  }
}
