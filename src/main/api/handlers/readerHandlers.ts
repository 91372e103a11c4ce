import { ReaderAccounts, type Actor } from '../../readers/readerAccounts'
import type { Services } from '../../services/openServices'
import { sessionReader } from '../access'
import type { RequestContext } from '../session'
import type { HandlersOf } from './types'

/** Reader accounts and the connection's login (the session is the connection's, never the request's). */
export function readerHandlers(
  core: Services,
): HandlersOf<'readers:list' | 'readers:create' | 'readers:login' | 'readers:logout' | 'readers:setRole'> {
  const { store } = core
  const accounts = new ReaderAccounts(store)
  const actor = (context: RequestContext): Actor => {
    const reader = sessionReader(core, context)
    return reader ? { kind: 'reader', reader } : { kind: 'anonymous' }
  }
  return {
    'readers:list': () => store.readers.list(),
    'readers:create': async (input, context) => {
      const by = actor(context)
      const reader = await accounts.create(input, by)
      // Self-enrolment: whoever made their own radiologist account is now logged in as it.
      if (by.kind === 'anonymous' || (by.kind === 'reader' && !by.reader.administrator)) context.session.readerId = reader.id
      return reader
    },
    'readers:login': async ({ readerId, secret }, context) => {
      context.session.readerId = null // a failed login leaves the connection anonymous, not as it was
      const reader = await accounts.login(readerId, secret)
      context.session.readerId = reader.id
      return reader
    },
    'readers:logout': (_request, context) => {
      const reader = sessionReader(core, context)
      context.session.readerId = null
      if (reader) store.audit.append(reader.name, 'reader.logout', null, {}, new Date().toISOString(), reader.id)
      return { loggedOut: true as const }
    },
    'readers:setRole': ({ id, role, administrator }, context) => accounts.setRole(id, role, administrator, actor(context)),
  }
}
