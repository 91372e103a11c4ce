import { isChannel, type Channel } from '../../shared/channels'
import { contract, type Envelope, type RequestOf, type ResponseOf } from '../../shared/contract'
import { log as appLog } from '../logging/log'
import { ForbiddenError, NotFoundError } from '../errors/domainErrors'
import { createSession, type RequestContext, type Session } from './session'

export type Handlers = { [C in Channel]: (request: RequestOf<C>, context: RequestContext) => Promise<ResponseOf<C>> | ResponseOf<C> }
/** `session`: the calling connection's; none means a one-off anonymous caller. */
export type Dispatch = (channel: unknown, request: unknown, session?: Session) => Promise<Envelope<unknown>>

/**
 * The boundary every transport goes through: unknown channel or invalid arguments come back as a
 * typed error; a handler's exception comes back as `failed` with its message, never as a crash.
 */
export function createDispatcher(
  handlers: Handlers,
  log: (message: string) => void = (message) => appLog().error('request failed', { detail: message }),
): Dispatch {
  return async (channel, request, session = createSession()) => {
    if (!isChannel(channel)) {
      return { ok: false, error: { code: 'unknown_channel', message: `Unknown channel ${JSON.stringify(channel)}` } }
    }
    const parsed = contract[channel].request.safeParse(request ?? {})
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(request)'}: ${issue.message}`)
      return { ok: false, error: { code: 'invalid_request', message: `Invalid request for ${channel}: ${issues.join('; ')}`, issues } }
    }
    try {
      const handler = handlers[channel] as (request: unknown, context: RequestContext) => Promise<unknown> | unknown
      return { ok: true, data: await handler(parsed.data, { session }) }
    } catch (error) {
      if (error instanceof NotFoundError) return { ok: false, error: { code: 'not_found', message: error.message } }
      if (error instanceof ForbiddenError) return { ok: false, error: { code: 'forbidden', message: error.message } }
      log(`[${channel}] ${(error as Error).stack ?? String(error)}`)
      return { ok: false, error: { code: 'failed', message: (error as Error).message } }
    }
  }
}
