/**
 * Who may call what. Reading (worklist, images, results, the dashboard) needs only the transport's
 * own gate (the app window, or browser mode's token). Writing a reader's work needs a logged-in
 * reader, and a request naming another reader is refused; reader management needs an administrator.
 *
 * Imports and model runs (analysis, background analysis, the sample) stay open to an anonymous
 * connection: they add cases and derived results but change no reader's attributed work, and the
 * first run in browser mode (import, then analyse) works before anyone has logged in.
 *
 * Model management (fine-tuning, installing a model) needs a clinical advisor or an administrator
 * ('advisor'): it adds models whose results every reader then reads, and the decision to fine-tune
 * or trust a model is the advisor's, not the radiologist's. The renderer hides the Models dialog from
 * anyone else (canManageModels), and this table refuses it at the boundary, whatever the UI showed.
 * The `cxr-lens` CLI (`train`, `models import`) is the workstation's own operator, a shell on the
 * machine, and does not pass through this table.
 *
 * Restoring a backup replaces what everyone reads, so it needs a logged-in reader; in recovery
 * (database damaged, no reader can be checked) it is the one way back and stays open.
 */
import type { Channel } from '../../shared/channels'
import { canManageModels, type Reader } from '../../shared/domain'
import type { Services } from '../services/openServices'
import type { Handlers } from './dispatch'
import { ForbiddenError } from '../errors/domainErrors'
import type { RequestContext } from './session'

/** 'advisor': a logged-in reader whose role is clinical_advisor, or an administrator (canManageModels). */
export type Access = 'anyone' | 'reader' | 'advisor' | 'administrator'

export const ACCESS: Record<Channel, Access> = {
  'app:info': 'anyone',
  'cases:list': 'anyone',
  'cases:get': 'anyone',
  'cases:image': 'anyone',
  'cases:thumbnail': 'anyone',
  'cases:findings': 'anyone',
  'import:start': 'anyone',
  'import:dicom': 'anyone',
  'jobs:get': 'anyone',
  'jobs:cancel': 'anyone',
  'dialog:open': 'anyone',
  'models:list': 'anyone',
  // Model management: a clinical advisor or an administrator (see the comment at the top).
  'models:import': 'advisor',
  'analysis:start': 'anyone',
  'training:start': 'advisor',
  'analysis:predictions': 'anyone',
  'heatmaps:get': 'anyone',
  'heatmaps:byId': 'anyone',
  'heatmaps:versions': 'anyone',
  'heatmaps:saveEdit': 'reader',
  'readers:list': 'anyone',
  // Open, but the accounts service lets a non-administrator create only a radiologist (self-enrolment).
  'readers:create': 'anyone',
  'readers:login': 'anyone',
  'readers:logout': 'anyone',
  'readers:setRole': 'administrator',
  'boxes:create': 'reader',
  'boxes:update': 'reader',
  'boxes:delete': 'reader',
  'boxes:restore': 'reader',
  'cases:setStatus': 'reader',
  'validation:dashboard': 'anyone',
  'validation:export': 'anyone',
  'backups:list': 'anyone',
  'backups:restore': 'reader',
  // no PHI in it, and support needs it most when nobody can log in (a damaged database)
  'diagnostics:export': 'anyone',
  // Background analysis and the sample add derived results and cases, like analysis:start and
  // import:start; they change no reader's attributed work.
  'background:status': 'anyone',
  'background:focus': 'anyone',
  'background:enqueue': 'anyone',
  'background:pause': 'anyone',
  'background:cancel': 'anyone',
  'sample:import': 'anyone',
  // Every reader searches and retrieves (a pull adds cases, like import:dicom); only an
  // administrator adds or removes a connection (its secret opens the site's PACS).
  'pacs:list': 'anyone',
  'pacs:test': 'anyone',
  'pacs:query': 'anyone',
  'pacs:pull': 'anyone',
  'pacs:add': 'administrator',
  'pacs:remove': 'administrator',
  // Sends a reader's boxes out of the workstation under that reader's name: a logged-in reader only.
  'pacs:push': 'reader',
  'pacs:pushTargets': 'anyone',
}

/** The session's reader, re-read from the store on every call (a restore may have replaced it). */
export function sessionReader(core: Services, context: RequestContext): Reader | null {
  const id = context.session.readerId
  if (id === null) return null
  const reader = core.store.readers.get(id) ?? null
  if (!reader) context.session.readerId = null
  return reader
}

function check(core: Services, channel: Channel, request: unknown, context: RequestContext): void {
  const access = ACCESS[channel]
  if (access === 'anyone') return
  if (channel === 'backups:restore' && core.health.state === 'damaged') return
  const reader = sessionReader(core, context)
  if (!reader) {
    const who = access === 'advisor' ? 'a clinical advisor or an administrator' : 'a logged-in reader'
    throw new ForbiddenError(`${channel} needs ${who}: log in first (readers:login)`)
  }
  const named = (request as { readerId?: unknown }).readerId
  if (named !== undefined && named !== reader.id) {
    throw new ForbiddenError(
      `This connection is logged in as ${reader.name} (reader ${reader.id}); a request for reader ${String(named)} is refused`,
    )
  }
  if (access === 'administrator' && !reader.administrator)
    throw new ForbiddenError(`${channel} needs an administrator; ${reader.name} is not one`)
  if (access === 'advisor' && !canManageModels(reader))
    throw new ForbiddenError(
      `${channel} needs a clinical advisor or an administrator; ${reader.name} is a ${reader.role.replace('_', ' ')}`,
    )
}

export function guardAccess(core: Services, handlers: Handlers): Handlers {
  const guarded = { ...handlers } as Record<string, (request: unknown, context: RequestContext) => unknown>
  for (const [channel, handler] of Object.entries(guarded)) {
    guarded[channel] = (request, context) => {
      check(core, channel as Channel, request, context)
      return handler(request, context)
    }
  }
  return guarded as Handlers
}
