/**
 * Assembles the handlers, one file per channel domain, and wraps them in the guards: the damaged
 * database refusal first (no reader can be looked up then), then access (access.ts). Nothing else.
 */
import { AnnotationService } from '../../annotations/annotationService'
import type { Services } from '../../services/openServices'
import { machinePolicy } from '../../config/policy'
import { guardAccess } from '../access'
import { guardFeatures } from '../operations'
import type { Handlers } from '../dispatch'
import type { RequestContext } from '../session'
import { analysisHandlers } from './analysisHandlers'
import { appHandlers } from './appHandlers'
import { backgroundHandlers } from './backgroundHandlers'
import { backupHandlers } from './backupHandlers'
import { boxHandlers } from './boxHandlers'
import { caseHandlers } from './caseHandlers'
import { heatmapHandlers } from './heatmapHandlers'
import { importHandlers } from './importHandlers'
import { modelHandlers } from './modelHandlers'
import { pacsHandlers } from './pacs'
import { pacsPushHandlers } from './pacsPush'
import { targetsOf, type PacsTargets } from '../../pacs/pushTargets'
import { PacsConnections } from '../../pacs/pacsConnections'
import { readerHandlers } from './readerHandlers'
import { reviewHandlers } from './reviewHandlers'
import type { PickPath } from './types'
import { validationHandlers, type RenderPdf } from './validationHandlers'

export type { PickPath, RenderPdf }

/** What still answers while the case database is damaged: enough to see why and restore a backup. */
const RECOVERY_CHANNELS = new Set<string>(['app:info', 'backups:list', 'backups:restore', 'dialog:open', 'jobs:get', 'diagnostics:export'])

/** Every other channel refuses, naming the problem, until a restore has made the database sound. */
function guardDamaged(core: Services, handlers: Handlers): Handlers {
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

/**
 * `renderPdf`: how report PDFs are printed (the desktop app passes Electron's; default a local Chromium).
 * `pacsTargets`: where "Send to PACS" may send (default: the configured connections, policy and user).
 */
export function createHandlers(
  core: Services,
  pickPath?: PickPath,
  renderPdf?: RenderPdf,
  pacsTargets: PacsTargets = targetsOf(new PacsConnections(core.store, core.dataDir)),
): Handlers {
  const annotations = new AnnotationService(core.store)
  const all: Handlers = {
    ...appHandlers(core, pickPath),
    ...caseHandlers(core),
    ...importHandlers(core),
    ...modelHandlers(core),
    ...analysisHandlers(core),
    ...heatmapHandlers(core, annotations),
    ...readerHandlers(core),
    ...boxHandlers(annotations),
    ...reviewHandlers(annotations),
    ...validationHandlers(core, renderPdf),
    ...backupHandlers(core),
    ...backgroundHandlers(core),
    ...pacsHandlers(core),
    ...pacsPushHandlers(core, pacsTargets),
  }
  return guardDamaged(core, guardAccess(core, guardFeatures(machinePolicy(), all)))
}
